package config

import (
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// AWS's limits on the tags of a secret.
const (
	maxTags        = 50
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// maxParameterName is the longest SSM parameter name.
const maxParameterName = 2048

// secretsManagerSink checks a sink of type secretsmanager.
func (k *checker) secretsManagerSink(s *Sink, path string) {
	id := s.SecretID
	switch {
	case id == "":
		k.errorf(path+".secret_id", "required; name the secret to write, such as team-a/deployer, or give its ARN")
	case strings.HasPrefix(id, "arn:"):
		if !smARNRe.MatchString(id) {
			k.errorf(path+".secret_id", "%s is not a Secrets Manager secret ARN such as arn:aws:secretsmanager:us-east-1:123456789012:secret:team-a/deployer-AbCdEf", quote(id))
		}
	case !smNameRe.MatchString(id):
		k.errorf(path+".secret_id", "%s is not a secret name: 1 to 512 letters, digits and /_+=.@-", quote(id))
	}
	k.sinkTarget(s, path)
	if !s.Create {
		for _, f := range []string{"kms_key_id", "tags"} {
			if k.given(path + "." + f) {
				k.errorf(path+"."+f, "only applies with create: true, when rotatord creates the secret (an existing secret keeps its own); set create: true, or remove %s", f)
			}
		}
	}
	k.tags(path+".tags", s.Tags)
	switch {
	case s.KeyIDField == "":
		k.errorf(path+".key_id_field", "is empty; name the JSON key of the access key id, such as %s", DefaultKeyIDField)
	case s.SecretField == "":
		k.errorf(path+".secret_field", "is empty; name the JSON key of the secret access key, such as %s", DefaultSecretField)
	case s.KeyIDField == s.SecretField:
		k.errorf(path+".secret_field", "is the same as key_id_field (%s); the two values need different JSON keys", quote(s.KeyIDField))
	}
}

// tags checks the tags of a secret that rotatord creates, as AWS limits
// them.
func (k *checker) tags(path string, tags map[string]string) {
	if len(tags) > maxTags {
		k.errorf(path, "holds %d tags; AWS allows at most %d", len(tags), maxTags)
	}
	keys := make([]string, 0, len(tags))
	for key := range tags {
		keys = append(keys, key)
	}
	slices.Sort(keys)
	for _, key := range keys {
		p, v := keyPath(path, key), tags[key]
		switch {
		case key == "" || utf8.RuneCountInString(key) > maxTagKeyLen:
			k.errorf(p, "a tag's name must be 1 to %d characters long", maxTagKeyLen)
		case strings.HasPrefix(strings.ToLower(key), "aws:"):
			k.errorf(p, "tag names starting with aws: are reserved by AWS; choose another name")
		case !tagRe.MatchString(key):
			k.errorf(p, "the tag's name may only hold letters, digits, spaces and _.:/=+-@")
		case utf8.RuneCountInString(v) > maxTagValueLen:
			k.errorf(p, "is %d characters long; a tag's value is at most %d", utf8.RuneCountInString(v), maxTagValueLen)
		case !tagRe.MatchString(v):
			k.errorf(p, "%s: a tag's value may only hold letters, digits, spaces and _.:/=+-@", quote(v))
		}
	}
}

// ssmSink checks a sink of type ssm.
func (k *checker) ssmSink(s *Sink, path string) {
	idSet := s.IDParameter != "" || k.failed(path+".id_parameter")
	secretSet := s.SecretParameter != "" || k.failed(path+".secret_parameter")
	nameSet := s.Name != "" || k.failed(path+".name")
	switch {
	case nameSet && (idSet || secretSet):
		for _, f := range []struct {
			name string
			on   bool
		}{{"id_parameter", idSet}, {"secret_parameter", secretSet}} {
			if f.on {
				k.errorf(path+"."+f.name, "set either name (one parameter that holds both values as JSON) or id_parameter and secret_parameter (two parameters), not both")
			}
		}
	case !nameSet && !idSet && !secretSet:
		k.errorf(path+".name", "required; name the parameter, such as /team-a/deployer, or set id_parameter and secret_parameter to write two")
	case !nameSet && !idSet:
		k.errorf(path+".id_parameter", "required with secret_parameter; name the parameter that receives the access key id")
	case !nameSet && !secretSet:
		k.errorf(path+".secret_parameter", "required with id_parameter; name the parameter that receives the secret access key")
	case !nameSet && s.IDParameter == s.SecretParameter:
		k.errorf(path+".secret_parameter", "is the same parameter as id_parameter; name two parameters")
	}
	for _, f := range []struct{ name, v string }{{"name", s.Name}, {"id_parameter", s.IDParameter}, {"secret_parameter", s.SecretParameter}} {
		if p := parameterProblem(f.v); f.v != "" && p != "" {
			k.errorf(path+"."+f.name, "%s %s", quote(f.v), p)
		}
	}
	k.sinkTarget(s, path)
	k.enum(path+".tier", s.Tier, TierStandard, TierAdvanced, TierIntelligentTiering)
}

// parameterProblem says what is wrong with an SSM parameter name, or "".
func parameterProblem(name string) string {
	switch {
	case len(name) > maxParameterName || !ssmParamRe.MatchString(name):
		return "is not a parameter name: 1 to 2048 letters, digits and _.-/"
	case strings.Contains(name, "/") && !strings.HasPrefix(name, "/"):
		return "has a / but does not start with one; a parameter in a hierarchy starts with /, such as /team-a/deployer"
	case strings.HasSuffix(name, "/") || strings.Contains(name, "//"):
		return "has an empty level; write it as /team-a/deployer"
	case strings.Count(name, "/") > 15:
		return "is " + strconv.Itoa(strings.Count(name, "/")) + " levels deep; SSM allows at most 15"
	case !strings.Contains(name, "/") && (hasFold(name, "aws") || hasFold(name, "ssm")):
		return "starts with aws or ssm, which AWS reserves; choose another name"
	}
	return ""
}

// hasFold reports whether s starts with prefix, ignoring case.
func hasFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// sinkTarget checks the target a Secrets Manager or SSM sink names; one it
// took from its secret is checked there.
func (k *checker) sinkTarget(s *Sink, path string) {
	switch {
	case !k.given(path + ".target"):
	case s.Target == "":
		k.errorf(path+".target", "is empty; name a target, or remove target to use the secret's")
	default:
		k.targetRef(path+".target", s.Target, k.knownTargets())
	}
}
