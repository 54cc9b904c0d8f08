package ssmfake

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/rotatord/rotatord/internal/awsfake"
)

// Parameters is the SSM Parameter Store of one awsfake.Server: its
// parameters. Create it with Register. It is safe for concurrent use.
type Parameters struct {
	mu     sync.Mutex
	params map[string]*parameter // by name
}

// Register adds SSM Parameter Store to srv and returns its parameters.
// Call it before srv answers SSM requests, once per server.
func Register(srv *awsfake.Server) *Parameters {
	f := &Parameters{params: map[string]*parameter{}}
	srv.Handle(awsfake.Service{
		SigningName: "ssm", TargetPrefix: "AmazonSSM", ContentType: "application/x-amz-json-1.1",
		MessageKey: "message", InternalError: "InternalServerError",
		Actions: map[string]awsfake.Handler{
			"PutParameter":    f.locked(f.putParameterLocked),
			"GetParameter":    f.locked(f.getParameterLocked),
			"GetParameters":   f.locked(f.getParametersLocked),
			"DeleteParameter": f.locked(f.deleteParameterLocked),
		},
	})
	return f
}

// locked runs h with f.mu held.
func (f *Parameters) locked(h awsfake.Handler) awsfake.Handler {
	return func(c *awsfake.Call) (any, *awsfake.Error) {
		f.mu.Lock()
		defer f.mu.Unlock()
		return h(c)
	}
}

// Parameter types and tiers.
const (
	paramString       = "String"
	paramStringList   = "StringList"
	paramSecureString = "SecureString"

	tierStandard    = "Standard"
	tierAdvanced    = "Advanced"
	tierIntelligent = "Intelligent-Tiering"

	// defaultSSMKey is the KMS key of a SecureString put without KeyId.
	defaultSSMKey = "alias/aws/ssm"
	// Value size limits per tier, in bytes.
	maxStandardValue = 4096
	maxAdvancedValue = 8192
	// maxHierarchyLevels is the depth a parameter name may have.
	maxHierarchyLevels = 15
)

// parameter is an SSM Parameter Store parameter. Only its latest version
// is kept.
type parameter struct {
	name, arn   string
	typ         string
	value       string
	ciphertext  string // what GetParameter returns for a SecureString without WithDecryption
	keyID       string // SecureString only
	tier        string // Standard or Advanced
	description string
	version     int64
	modified    time.Time
	owner       string // principal.owner of its creator
}

func errParameterNotFound() *awsfake.Error {
	// SSM sends no message with it.
	return &awsfake.Error{Status: http.StatusBadRequest, Code: "ParameterNotFound", Message: ""}
}

var paramNamePattern = regexp.MustCompile(`^[a-zA-Z0-9_.\-/]+$`)

// maxParamName is the longest parameter name SSM accepts.
const maxParamName = 2048

// checkParamName applies Parameter Store's naming rules.
func checkParamName(name string) *awsfake.Error {
	switch bare := strings.ToLower(strings.TrimPrefix(name, "/")); {
	case name == "":
		return awsfake.MissingParam("Name")
	case len(name) > maxParamName:
		return awsfake.ValidationError(fmt.Sprintf("1 validation error detected: Value at 'name' failed to satisfy constraint: Member must have length less than or equal to %d", maxParamName))
	case !paramNamePattern.MatchString(name):
		return awsfake.ValidationError("Parameter name: can't contain characters other than a-z, A-Z, 0-9, _ . - and /")
	case strings.Contains(name, "/") && !strings.HasPrefix(name, "/"):
		return awsfake.ValidationError("Parameter name must be a fully qualified name.")
	case strings.HasPrefix(bare, "aws") || strings.HasPrefix(bare, "ssm"):
		return awsfake.ValidationError(`Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive).`)
	case strings.Count(name, "/") > maxHierarchyLevels:
		return &awsfake.Error{Status: http.StatusBadRequest, Code: "HierarchyLevelLimitExceededException", Message: fmt.Sprintf("A hierarchy can have a maximum of %d levels.", maxHierarchyLevels)}
	}
	return nil
}

// paramForLocked finds the parameter name and checks that the caller may
// use it. An unknown name is ParameterNotFound whoever asks. f.mu must be
// held.
func (f *Parameters) paramForLocked(c *awsfake.Call, name string) (*parameter, *awsfake.Error) {
	if name == "" {
		return nil, awsfake.MissingParam("Name")
	}
	p := f.params[name]
	if p == nil {
		return nil, errParameterNotFound()
	}
	if !c.MayUse(p.owner) {
		return nil, c.Denied("ssm:"+c.Action(), p.arn)
	}
	return p, nil
}

type putParameterInput struct {
	Name        string
	Value       *string
	Type        string
	KeyID       string `json:"KeyId"`
	Overwrite   bool
	Tier        string
	Description *string
}

type putParameterOutput struct {
	Version int64  `json:"Version"`
	Tier    string `json:"Tier"`
}

func (f *Parameters) putParameterLocked(c *awsfake.Call) (any, *awsfake.Error) {
	var in putParameterInput
	if err := c.Decode(&in); err != nil {
		return nil, err
	}
	if err := checkParamName(in.Name); err != nil {
		return nil, err
	}
	if in.Value == nil {
		return nil, awsfake.MissingParam("Value")
	}
	old := f.params[in.Name]
	if old != nil && !c.MayUse(old.owner) {
		return nil, c.Denied("ssm:PutParameter", old.arn)
	}
	if old != nil && !in.Overwrite {
		return nil, &awsfake.Error{Status: http.StatusBadRequest, Code: "ParameterAlreadyExists", Message: "The parameter already exists. To overwrite this value, set the overwrite option in the request to true."}
	}
	p := &parameter{name: in.Name, owner: c.Owner(), typ: in.Type, tier: in.Tier,
		arn: fmt.Sprintf("arn:aws:ssm:%s:%s:parameter/%s", c.Region(), c.Account(), strings.TrimPrefix(in.Name, "/"))}
	oldTier := ""
	if old != nil {
		*p = *old // an overwrite keeps what the request leaves out
		oldTier = old.tier
		if in.Type != "" {
			p.typ = in.Type
		}
		if in.Tier != "" {
			p.tier = in.Tier
		}
	}
	if err := p.set(in, oldTier, c.Now()); err != nil {
		return nil, err
	}
	f.params[p.name] = p
	return putParameterOutput{Version: p.version, Tier: p.tier}, nil
}

// set validates the type, tier and value of a put and applies them to p:
// a copy of the existing parameter (whose tier was oldTier) with the
// request's type and tier, or a new one. An advanced parameter stays
// advanced.
func (p *parameter) set(in putParameterInput, oldTier string, now time.Time) *awsfake.Error {
	switch p.typ {
	case paramString, paramStringList, paramSecureString:
	case "":
		return awsfake.ValidationError("A parameter type is required when you create a parameter.")
	default:
		return awsfake.ValidationError(fmt.Sprintf("1 validation error detected: Value '%s' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [SecureString, StringList, String]", p.typ))
	}
	if in.KeyID != "" && p.typ != paramSecureString {
		return awsfake.ValidationError("KeyId is only supported for the SecureString parameter type.")
	}
	value := *in.Value
	switch p.tier {
	case "":
		p.tier = tierStandard
	case tierIntelligent:
		p.tier = tierStandard
		if len(value) > maxStandardValue || oldTier == tierAdvanced {
			p.tier = tierAdvanced
		}
	case tierStandard:
		if oldTier == tierAdvanced {
			return awsfake.ValidationError("This parameter uses the advanced-parameter tier. You can't downgrade a parameter from the advanced-parameter tier to the standard-parameter tier. If necessary, you can delete the advanced parameter and recreate it as a standard parameter.")
		}
	case tierAdvanced:
	default:
		return awsfake.ValidationError(fmt.Sprintf("1 validation error detected: Value '%s' at 'tier' failed to satisfy constraint: Member must satisfy enum value set: [Advanced, Intelligent-Tiering, Standard]", p.tier))
	}
	switch {
	case value == "":
		return awsfake.ValidationError("1 validation error detected: Value '' at 'value' failed to satisfy constraint: Member must have length greater than or equal to 1")
	case p.tier == tierStandard && len(value) > maxStandardValue:
		return awsfake.ValidationError(fmt.Sprintf("Standard tier parameters support a maximum parameter value of %d characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier.", maxStandardValue))
	case len(value) > maxAdvancedValue:
		return awsfake.ValidationError(fmt.Sprintf("1 validation error detected: Value at 'value' failed to satisfy constraint: Member must have length less than or equal to %d", maxAdvancedValue))
	}
	p.value, p.ciphertext, p.keyID = value, "", ""
	if p.typ == paramSecureString {
		p.keyID = in.KeyID
		if p.keyID == "" {
			p.keyID = defaultSSMKey
		}
		p.ciphertext = fakeCiphertext(len(value))
	}
	if in.Description != nil {
		p.description = *in.Description
	}
	p.version++
	p.modified = now
	return nil
}

// fakeCiphertext returns an opaque base64 string shaped like a KMS
// ciphertext blob for a plaintext of n bytes. It carries nothing of the
// plaintext.
func fakeCiphertext(n int) string {
	b := make([]byte, 150+n)
	_, _ = rand.Read(b)
	copy(b, []byte{0x01, 0x02, 0x02, 0x00, 0x78})
	return base64.StdEncoding.EncodeToString(b)
}
