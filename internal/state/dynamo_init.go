package state

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// TableSetup is what InitDynamoTable found and did.
type TableSetup struct {
	Created bool // the table was created now
	TTL     bool // time to live was turned on now (on the expires attribute)
	PITR    bool // point-in-time recovery was turned on now
}

// InitDynamoTable makes the table the DynamoDB store needs: a string
// partition key pk and sort key sk, on-demand billing, time to live on
// "expires" (leases) and point-in-time recovery. It may run again: a table
// that exists is checked and completed, never changed otherwise. A table
// with another key schema is an error.
func InitDynamoTable(ctx context.Context, cfg aws.Config, table string) (TableSetup, error) {
	var done TableSetup
	db := dynamodb.NewFromConfig(cfg)
	desc, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &table})
	switch {
	case noTable(err):
		_, err = db.CreateTable(ctx, &dynamodb.CreateTableInput{
			TableName:   &table,
			BillingMode: types.BillingModePayPerRequest,
			AttributeDefinitions: []types.AttributeDefinition{
				{AttributeName: aws.String(attrPK), AttributeType: types.ScalarAttributeTypeS},
				{AttributeName: aws.String(attrSK), AttributeType: types.ScalarAttributeTypeS},
			},
			KeySchema: []types.KeySchemaElement{
				{AttributeName: aws.String(attrPK), KeyType: types.KeyTypeHash},
				{AttributeName: aws.String(attrSK), KeyType: types.KeyTypeRange},
			},
		})
		if err != nil {
			return done, fmt.Errorf("create table %s: %w", table, err)
		}
		done.Created = true
		w := dynamodb.NewTableExistsWaiter(db)
		if err := w.Wait(ctx, &dynamodb.DescribeTableInput{TableName: &table}, tableWait); err != nil {
			return done, fmt.Errorf("table %s: %w", table, err)
		}
	case err != nil:
		return done, fmt.Errorf("describe table %s: %w", table, err)
	default:
		if err := checkSchema(table, desc.Table); err != nil {
			return done, err
		}
	}
	ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: &table})
	if err != nil {
		return done, fmt.Errorf("table %s: time to live: %w", table, err)
	}
	if d := ttl.TimeToLiveDescription; d == nil || d.TimeToLiveStatus != types.TimeToLiveStatusEnabled {
		_, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: &table,
			TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(attrExpires), Enabled: aws.Bool(true)}})
		if err != nil {
			return done, fmt.Errorf("table %s: turn on time to live: %w", table, err)
		}
		done.TTL = true
	}
	backups, err := db.DescribeContinuousBackups(ctx, &dynamodb.DescribeContinuousBackupsInput{TableName: &table})
	if err != nil {
		return done, fmt.Errorf("table %s: point-in-time recovery: %w", table, err)
	}
	if d := backups.ContinuousBackupsDescription; d == nil || d.PointInTimeRecoveryDescription == nil ||
		d.PointInTimeRecoveryDescription.PointInTimeRecoveryStatus != types.PointInTimeRecoveryStatusEnabled {
		_, err := db.UpdateContinuousBackups(ctx, &dynamodb.UpdateContinuousBackupsInput{TableName: &table,
			PointInTimeRecoverySpecification: &types.PointInTimeRecoverySpecification{PointInTimeRecoveryEnabled: aws.Bool(true)}})
		if err != nil {
			return done, fmt.Errorf("table %s: turn on point-in-time recovery: %w", table, err)
		}
		done.PITR = true
	}
	return done, nil
}

// tableWait bounds the wait for a new table to become active.
var tableWait = 5 * time.Minute

// checkSchema refuses a table whose keys are not the store's.
func checkSchema(table string, t *types.TableDescription) error {
	want := map[string]types.KeyType{attrPK: types.KeyTypeHash, attrSK: types.KeyTypeRange}
	if t == nil || len(t.KeySchema) != len(want) {
		return fmt.Errorf("table %s exists with another key schema; the state store needs partition key %q and sort key %q (strings): name another table", table, attrPK, attrSK)
	}
	for _, k := range t.KeySchema {
		if want[aws.ToString(k.AttributeName)] != k.KeyType {
			return fmt.Errorf("table %s exists with another key schema; the state store needs partition key %q and sort key %q (strings): name another table", table, attrPK, attrSK)
		}
	}
	return nil
}
