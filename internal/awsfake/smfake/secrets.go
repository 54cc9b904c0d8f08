package smfake

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// Secrets is the Secrets Manager of one awsfake.Server: its secrets, with
// their versions and staging labels. Create it with Register. It is safe
// for concurrent use.
type Secrets struct {
	mu      sync.Mutex
	secrets map[string]*secret // by name
}

// Register adds Secrets Manager to srv and returns its secrets. Call it
// before srv answers Secrets Manager requests, once per server.
func Register(srv *awsfake.Server) *Secrets {
	f := &Secrets{secrets: map[string]*secret{}}
	srv.Handle(awsfake.Service{
		SigningName: "secretsmanager", TargetPrefix: "secretsmanager", ContentType: "application/x-amz-json-1.1",
		MessageKey: "Message", InternalError: "InternalServiceError",
		Actions: map[string]awsfake.Handler{
			"CreateSecret":             f.locked(f.createSecretLocked),
			"DescribeSecret":           f.locked(f.describeSecretLocked),
			"PutSecretValue":           f.locked(f.putSecretValueLocked),
			"GetSecretValue":           f.locked(f.getSecretValueLocked),
			"UpdateSecretVersionStage": f.locked(f.updateSecretVersionStageLocked),
		},
	})
	return f
}

// locked runs h with f.mu held.
func (f *Secrets) locked(h awsfake.Handler) awsfake.Handler {
	return func(c *awsfake.Call) (any, *awsfake.Error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		return h(c)
	}
}

// epoch is a timestamp as awsJson carries it: seconds since the Unix
// epoch, as a JSON number.
func epoch(t time.Time) int64 { return t.Unix() }

// The staging labels Secrets Manager itself moves.
const (
	stageCurrent  = "AWSCURRENT"
	stagePrevious = "AWSPREVIOUS"
	stagePending  = "AWSPENDING"
)

// maxSecretVersions bounds the versions a secret keeps: beyond it the
// oldest versions without a staging label (deprecated ones) are dropped, as
// Secrets Manager drops them.
const maxSecretVersions = 100

// secret is a Secrets Manager secret.
type secret struct {
	name, arn   string
	kmsKeyID    string // as given; "" is the managed key aws/secretsmanager
	description string
	tags        []smTag
	owner       string // principal.owner of its creator
	created     time.Time
	changed     time.Time
	versions    []*secretVersion // oldest first
}

// secretVersion is one value of a secret; its id is the ClientRequestToken
// that created it.
type secretVersion struct {
	id      string
	str     *string
	bin     []byte
	stages  []string
	created time.Time
}

type smTag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

func (v *secretVersion) sameValue(str *string, bin []byte) bool {
	if (v.str == nil) != (str == nil) {
		return false
	}
	return (str == nil || *v.str == *str) && bytes.Equal(v.bin, bin)
}

func (sec *secret) version(id string) *secretVersion {
	for _, v := range sec.versions {
		if v.id == id {
			return v
		}
	}
	return nil
}

func errSecretNotFound() *awsfake.Error {
	return &awsfake.Error{Status: http.StatusBadRequest, Code: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret."}
}

func errSecretValueNotFound(what string) *awsfake.Error {
	return &awsfake.Error{Status: http.StatusBadRequest, Code: "ResourceNotFoundException", Message: "Secrets Manager can't find the specified secret value for " + what}
}

func errSMParam(msg string) *awsfake.Error {
	return &awsfake.Error{Status: http.StatusBadRequest, Code: "InvalidParameterException", Message: msg}
}

func errSMExists(msg string) *awsfake.Error {
	return &awsfake.Error{Status: http.StatusBadRequest, Code: "ResourceExistsException", Message: msg}
}

// secretNamePattern is what Secrets Manager accepts as a secret name.
var secretNamePattern = regexp.MustCompile(`^[A-Za-z0-9/_+=.@!-]{1,512}$`)

// findSecretLocked resolves a SecretId: a name, a full ARN, or an ARN
// without its random suffix. f.mu must be held.
func (f *Secrets) findSecretLocked(id string) *secret {
	if sec := f.secrets[id]; sec != nil {
		return sec
	}
	if !strings.HasPrefix(id, "arn:") {
		return nil
	}
	for _, sec := range f.secrets {
		if sec.arn == id || sec.arn[:len(sec.arn)-7] == id {
			return sec
		}
	}
	return nil
}

// secretForLocked finds the secret a call names in SecretId and checks that
// the caller may use it. An unknown secret is ResourceNotFoundException
// whoever asks. f.mu must be held.
func (f *Secrets) secretForLocked(c *awsfake.Call, id string) (*secret, *awsfake.Error) {
	if id == "" {
		return nil, awsfake.MissingParam("SecretId")
	}
	sec := f.findSecretLocked(id)
	if sec == nil {
		return nil, errSecretNotFound()
	}
	if !c.MayUse(sec.owner) {
		return nil, c.Denied("secretsmanager:"+c.Action(), sec.arn)
	}
	return sec, nil
}

// checkToken validates a ClientRequestToken (the SDK always sends a UUID)
// and makes one up for a hand-made request that lacks it.
func checkToken(token string) (string, *awsfake.Error) {
	switch {
	case token == "":
		return newUUID(), nil
	case len(token) < 32 || len(token) > 64:
		return "", awsfake.ValidationError(fmt.Sprintf("1 validation error detected: Value '%s' at 'clientRequestToken' failed to satisfy constraint: Member must have length between 32 and 64", token))
	}
	return token, nil
}

type createSecretInput struct {
	Name               string
	Description        string
	KmsKeyID           string `json:"KmsKeyId"`
	SecretString       *string
	SecretBinary       []byte
	Tags               []smTag
	ClientRequestToken string
}

type createSecretOutput struct {
	ARN       string `json:"ARN"`
	Name      string `json:"Name"`
	VersionID string `json:"VersionId,omitempty"`
}

func (f *Secrets) createSecretLocked(c *awsfake.Call) (any, *awsfake.Error) {
	var in createSecretInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	if in.Name == "" {
		return nil, awsfake.MissingParam("Name")
	}
	if !secretNamePattern.MatchString(in.Name) {
		return nil, errSMParam("Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")
	}
	if in.SecretString != nil && in.SecretBinary != nil {
		return nil, errSMParam("You can't specify both a binary secret value and a string secret value in the same secret.")
	}
	token, err := checkToken(in.ClientRequestToken)
	if err != nil {
		return nil, err
	}
	hasValue := in.SecretString != nil || in.SecretBinary != nil
	if sec := f.secrets[in.Name]; sec != nil {
		// A retried CreateSecret (same token, same value) succeeds again.
		if v := sec.version(token); v != nil && hasValue && v.sameValue(in.SecretString, in.SecretBinary) && c.MayUse(sec.owner) {
			return createSecretOutput{ARN: sec.arn, Name: sec.name, VersionID: v.id}, nil
		}
		return nil, errSMExists(fmt.Sprintf("The operation failed because the secret %s already exists.", in.Name))
	}
	sec := &secret{
		name:        in.Name,
		arn:         fmt.Sprintf("arn:aws:secretsmanager:%s:%s:secret:%s-%s", c.Region(), c.Account(), in.Name, arnSuffix()),
		kmsKeyID:    in.KmsKeyID,
		description: in.Description,
		tags:        append([]smTag(nil), in.Tags...),
		owner:       c.Owner(),
		created:     c.Now(),
		changed:     c.Now(),
	}
	f.secrets[sec.name] = sec
	out := createSecretOutput{ARN: sec.arn, Name: sec.name}
	if hasValue {
		out.VersionID = sec.addVersion(token, in.SecretString, in.SecretBinary, []string{stageCurrent}, c.Now()).id
	}
	return out, nil
}

type describeSecretInput struct {
	SecretID string `json:"SecretId"`
}

type describeSecretOutput struct {
	ARN                string              `json:"ARN"`
	Name               string              `json:"Name"`
	Description        string              `json:"Description,omitempty"`
	KmsKeyID           string              `json:"KmsKeyId,omitempty"`
	Tags               []smTag             `json:"Tags,omitempty"`
	VersionIdsToStages map[string][]string `json:"VersionIdsToStages,omitempty"`
	CreatedDate        int64               `json:"CreatedDate"`
	LastChangedDate    int64               `json:"LastChangedDate"`
}

func (f *Secrets) describeSecretLocked(c *awsfake.Call) (any, *awsfake.Error) {
	var in describeSecretInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	sec, err := f.secretForLocked(c, in.SecretID)
	if err != nil {
		return nil, err
	}
	out := describeSecretOutput{
		ARN: sec.arn, Name: sec.name, Description: sec.description, KmsKeyID: sec.kmsKeyID,
		Tags: sec.tags, CreatedDate: epoch(sec.created), LastChangedDate: epoch(sec.changed),
	}
	for _, v := range sec.versions {
		if len(v.stages) > 0 { // deprecated versions are not listed
			if out.VersionIdsToStages == nil {
				out.VersionIdsToStages = map[string][]string{}
			}
			out.VersionIdsToStages[v.id] = append([]string(nil), v.stages...)
		}
	}
	return out, nil
}

// newUUID returns a random (version 4) UUID, the shape of secret version
// ids.
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// arnSuffix returns the 6 random alphanumeric characters Secrets Manager
// appends to a secret's name in its ARN.
func arnSuffix() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
