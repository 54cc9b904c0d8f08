package config

import (
	"strconv"
)

// target checks targets[i]; names maps the names seen so far to their
// index.
func (k *checker) target(i int, names map[string]int) {
	t, path := &k.c.Targets[i], indexPath("targets", i)
	switch {
	case t.Name == "":
		k.errorf(path+".name", "required; name the target, such as prod")
	case !targetNameRe.MatchString(t.Name):
		k.errorf(path+".name", "%s may only hold letters, digits and ._-", quote(t.Name))
	default:
		if first, dup := names[t.Name]; dup {
			k.errorf(path+".name", "%s is already the name of %s", quote(t.Name), k.fieldLine(indexPath("targets", first)))
		} else {
			names[t.Name] = i
		}
	}
	if !regionRe.MatchString(t.Region) {
		k.errorf(path+".region", "%s is not an AWS region such as us-east-1", quote(t.Region))
	}
	k.endpoint(path, t.Endpoint, t.AllowInsecureEndpoint)
	if k.enum(path+".credentials", t.Credentials, CredentialsStatic, CredentialsDefault) {
		k.targetCredentials(t, path)
	}
	k.role(t, path)
	k.rateLimit(t, path)
}

// rateLimit checks rate_limit and rate_limit_max.
func (k *checker) rateLimit(t *Target, path string) {
	if !t.RateLimit.Auto() && !(t.RateLimit > 0 && t.RateLimit <= 1000) {
		k.errorf(path+".rate_limit", "%s is out of range; IAM calls per second must be more than 0 and at most 1000, or auto",
			strconv.FormatFloat(float64(t.RateLimit), 'g', -1, 64))
	}
	switch {
	case !k.given(path + ".rate_limit_max"):
	case !t.RateLimit.Auto():
		k.errorf(path+".rate_limit_max", "only applies with rate_limit: auto; set rate_limit: auto, or remove rate_limit_max")
	case !(t.RateLimitMax > 0 && t.RateLimitMax <= 1000):
		k.errorf(path+".rate_limit_max", "%s is out of range; IAM calls per second must be more than 0 and at most 1000",
			strconv.FormatFloat(t.RateLimitMax, 'g', -1, 64))
	}
}

// targetCredentials checks the key fields against credentials.
func (k *checker) targetCredentials(t *Target, path string) {
	set := k.secretRef(path, t.SecretAccessKey, t.SecretAccessKeyFile, t.SecretAccessKeyEnv)
	if t.Credentials == CredentialsDefault {
		if t.AccessKeyID != "" {
			set = append([]string{"access_key_id"}, set...)
		}
		for _, f := range set {
			k.errorf(joinPath(path, f), "credentials: default takes the key from the AWS SDK's default chain; remove %s, or set credentials: static", f)
		}
		return
	}
	k.accessKeyID(path+".access_key_id", t.AccessKeyID, "credentials: static")
	if len(set) == 0 {
		k.errorf(path+".secret_access_key_file", "required with credentials: static; set secret_access_key_file, secret_access_key_env or secret_access_key")
	}
	k.atMostOneSecret(path, set)
}

// accessKeyID checks a required access key id. A value that looks like a
// secret access key is not shown: the two were likely swapped.
func (k *checker) accessKeyID(path, id, why string) {
	switch {
	case id == "":
		k.errorf(path, "required with %s; set the access key id, such as AKIAIOSFODNN7EXAMPLE", why)
	case looksSecret(id):
		k.errorf(path, "holds what looks like a secret access key, not an access key id; did you swap access_key_id and secret_access_key?")
	case !accessKeyIDRe.MatchString(id):
		k.errorf(path, "%s is not an access key id (16 to 128 upper-case letters and digits, such as AKIAIOSFODNN7EXAMPLE)", quote(id))
	}
}

// role checks role_arn and the fields that only go with it.
func (k *checker) role(t *Target, path string) {
	if t.RoleARN == "" {
		for _, f := range []struct{ name, v string }{{"external_id", t.ExternalID}, {"role_session_name", t.RoleSessionName}} {
			if f.v != "" {
				k.errorf(joinPath(path, f.name), "only applies with role_arn; set role_arn or remove %s", f.name)
			}
		}
		return
	}
	if !roleARNRe.MatchString(t.RoleARN) {
		k.errorf(path+".role_arn", "%s is not an IAM role ARN such as arn:aws:iam::123456789012:role/rotatord", quote(t.RoleARN))
	}
	if t.ExternalID != "" && (len(t.ExternalID) < 2 || len(t.ExternalID) > 1224 || !externalIDRe.MatchString(t.ExternalID)) {
		k.errorf(path+".external_id", "must be 2 to 1224 letters, digits and _+=,.@:/-")
	}
	if !sessionNameRe.MatchString(t.RoleSessionName) {
		k.errorf(path+".role_session_name", "%s must be 2 to 64 letters, digits and _+=,.@-", quote(t.RoleSessionName))
	}
}
