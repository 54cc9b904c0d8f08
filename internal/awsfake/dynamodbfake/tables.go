package dynamodbfake

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// Billing modes.
const (
	billingOnDemand    = "PAY_PER_REQUEST"
	billingProvisioned = "PROVISIONED"
)

// tableNamePattern is what DynamoDB accepts as a table name.
var tableNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)

type keySchemaElement struct {
	AttributeName string `json:"AttributeName"`
	KeyType       string `json:"KeyType"`
}

type attributeDefinition struct {
	AttributeName string `json:"AttributeName"`
	AttributeType string `json:"AttributeType"`
}

type provisionedThroughput struct {
	ReadCapacityUnits  int64 `json:"ReadCapacityUnits"`
	WriteCapacityUnits int64 `json:"WriteCapacityUnits"`
}

type createTableInput struct {
	TableName                 string
	KeySchema                 []keySchemaElement
	AttributeDefinitions      []attributeDefinition
	BillingMode               string
	ProvisionedThroughput     *provisionedThroughput
	DeletionProtectionEnabled bool
	GlobalSecondaryIndexes    json.RawMessage
	LocalSecondaryIndexes     json.RawMessage
}

type tableNameInput struct {
	TableName string
}

type billingModeSummary struct {
	BillingMode                       string `json:"BillingMode"`
	LastUpdateToPayPerRequestDateTime int64  `json:"LastUpdateToPayPerRequestDateTime"`
}

type throughputDescription struct {
	NumberOfDecreasesToday int64 `json:"NumberOfDecreasesToday"`
	ReadCapacityUnits      int64 `json:"ReadCapacityUnits"`
	WriteCapacityUnits     int64 `json:"WriteCapacityUnits"`
}

type tableDescription struct {
	TableName                 string                `json:"TableName"`
	TableArn                  string                `json:"TableArn"`
	TableID                   string                `json:"TableId"`
	TableStatus               string                `json:"TableStatus"`
	KeySchema                 []keySchemaElement    `json:"KeySchema"`
	AttributeDefinitions      []attributeDefinition `json:"AttributeDefinitions"`
	CreationDateTime          int64                 `json:"CreationDateTime"`
	ItemCount                 int                   `json:"ItemCount"`
	TableSizeBytes            int64                 `json:"TableSizeBytes"`
	BillingModeSummary        *billingModeSummary   `json:"BillingModeSummary,omitempty"`
	ProvisionedThroughput     throughputDescription `json:"ProvisionedThroughput"`
	DeletionProtectionEnabled bool                  `json:"DeletionProtectionEnabled"`
}

type tableOutput struct {
	TableDescription tableDescription `json:"TableDescription"`
}

func (t *dynamoTable) describe(status string) tableDescription {
	d := tableDescription{
		TableName: t.name, TableArn: t.arn, TableID: t.id, TableStatus: status,
		CreationDateTime: epoch(t.created), ItemCount: t.count, TableSizeBytes: t.bytes,
		ProvisionedThroughput:     throughputDescription{ReadCapacityUnits: t.rcu, WriteCapacityUnits: t.wcu},
		DeletionProtectionEnabled: t.protected,
	}
	for i, k := range t.keyAttrs() {
		kt := "HASH"
		if i == 1 {
			kt = "RANGE"
		}
		d.KeySchema = append(d.KeySchema, keySchemaElement{k.name, kt})
		d.AttributeDefinitions = append(d.AttributeDefinitions, attributeDefinition{k.name, k.typ})
	}
	if t.billing == billingOnDemand {
		d.BillingModeSummary = &billingModeSummary{BillingMode: t.billing, LastUpdateToPayPerRequestDateTime: epoch(t.created)}
	}
	return d
}

// newTable checks a CreateTable request and builds its table.
func newTable(in *createTableInput) (*dynamoTable, *awsfake.Error) {
	switch {
	case in.TableName == "":
		return nil, awsfake.MissingParam("TableName")
	case !tableNamePattern.MatchString(in.TableName):
		return nil, awsfake.ValidationError(fmt.Sprintf("1 validation error detected: Value '%s' at 'tableName' failed to satisfy constraint: "+
			"Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 3 and 255", in.TableName))
	case in.GlobalSecondaryIndexes != nil || in.LocalSecondaryIndexes != nil:
		return nil, awsfake.ValidationError("awsfake: secondary indexes are not supported")
	case len(in.KeySchema) == 0 || len(in.KeySchema) > 2:
		return nil, awsfake.ValidationError("1 validation error detected: Value at 'keySchema' failed to satisfy constraint: Member must have length between 1 and 2")
	case in.KeySchema[0].KeyType != "HASH":
		return nil, awsfake.ValidationError("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
	case len(in.KeySchema) == 2 && in.KeySchema[1].KeyType != "RANGE":
		return nil, awsfake.ValidationError("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
	case len(in.KeySchema) == 2 && in.KeySchema[0].AttributeName == in.KeySchema[1].AttributeName:
		return nil, awsfake.ValidationError("Both the Hash Key and the Range Key element in the KeySchema have the same name")
	case len(in.AttributeDefinitions) != len(in.KeySchema):
		return nil, errAttr("Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
	}
	t := &dynamoTable{name: in.TableName, billing: in.BillingMode, protected: in.DeletionProtectionEnabled, partitions: map[string]map[string]item{}}
	types := map[string]string{}
	for _, d := range in.AttributeDefinitions {
		if d.AttributeType != "S" && d.AttributeType != "N" && d.AttributeType != "B" {
			return nil, awsfake.ValidationError(fmt.Sprintf("1 validation error detected: Value '%s' at 'attributeDefinitions.member.attributeType' "+
				"failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]", d.AttributeType))
		}
		types[d.AttributeName] = d.AttributeType
	}
	for i, k := range in.KeySchema {
		typ, ok := types[k.AttributeName]
		if !ok || k.AttributeName == "" {
			return nil, errAttr(fmt.Sprintf("Some index key attributes are not defined in AttributeDefinitions. Keys: [%s]", k.AttributeName))
		}
		if i == 0 {
			t.hash = keyAttr{k.AttributeName, typ}
		} else {
			t.rng = keyAttr{k.AttributeName, typ}
		}
	}
	switch t.billing {
	case "", billingProvisioned:
		t.billing = billingProvisioned
		p := in.ProvisionedThroughput
		if p == nil || p.ReadCapacityUnits < 1 || p.WriteCapacityUnits < 1 {
			return nil, errAttr("ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
		}
		t.rcu, t.wcu = p.ReadCapacityUnits, p.WriteCapacityUnits
	case billingOnDemand:
		if in.ProvisionedThroughput != nil {
			return nil, errAttr("Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
		}
	default:
		return nil, awsfake.ValidationError(fmt.Sprintf("1 validation error detected: Value '%s' at 'billingMode' failed to satisfy constraint: "+
			"Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]", t.billing))
	}
	return t, nil
}

func (f *Tables) createTableLocked(c *awsfake.Call) (any, *awsfake.Error) {
	var in createTableInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	t, err := newTable(&in)
	if err != nil {
		return nil, err
	}
	d := f.dynamoLocked()
	if d.tables[t.name] != nil {
		return nil, &awsfake.Error{Status: http.StatusBadRequest, Code: "ResourceInUseException", Message: "Table already exists: " + t.name}
	}
	t.arn = fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", c.Region(), c.Account(), t.name)
	t.id, t.owner, t.created = newUUID(), c.Owner(), c.Now()
	d.tables[t.name] = t
	// The table is ACTIVE at once; AWS reports CREATING here for a few
	// seconds, which the SDK's TableExistsWaiter polls past.
	return tableOutput{t.describe("ACTIVE")}, nil
}

// tableAdminLocked finds the table a table-level action names and checks
// the caller may act on it. notFound makes the error for a missing table,
// which differs between actions. f.mu must be held.
func (f *Tables) tableAdminLocked(c *awsfake.Call, name string, notFound func(string) *awsfake.Error) (*dynamoTable, *awsfake.Error) {
	if name == "" {
		return nil, awsfake.MissingParam("TableName")
	}
	t := f.findTableLocked(name)
	if t == nil {
		return nil, notFound(name)
	}
	if !c.MayUse(t.owner) {
		return nil, c.Denied("dynamodb:"+c.Action(), t.arn)
	}
	return t, nil
}

// namedTableLocked decodes an input that only names a table and returns
// the table, or notFound's error when there is none.
func (f *Tables) namedTableLocked(c *awsfake.Call, notFound func(string) *awsfake.Error) (*dynamoTable, *awsfake.Error) {
	var in tableNameInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	return f.tableAdminLocked(c, in.TableName, notFound)
}

func (f *Tables) describeTableLocked(c *awsfake.Call) (any, *awsfake.Error) {
	t, err := f.namedTableLocked(c, errTableNotFound)
	if err != nil {
		return nil, err
	}
	return struct {
		Table tableDescription `json:"Table"`
	}{t.describe("ACTIVE")}, nil
}

func (f *Tables) deleteTableLocked(c *awsfake.Call) (any, *awsfake.Error) {
	t, err := f.namedTableLocked(c, errTableNotFound)
	if err != nil {
		return nil, err
	}
	if t.protected {
		return nil, awsfake.ValidationError("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
	}
	delete(f.dynamoLocked().tables, t.name)
	return tableOutput{t.describe("DELETING")}, nil
}
