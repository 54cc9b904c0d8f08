package config

import (
	"strings"
)

// secret checks secrets[i] on its own, reading only the rest of the file
// besides it: parseChunked runs it for many secrets at once.
func (k *checker) secret(i int) {
	s, path := &k.c.Secrets[i], indexPath("secrets", i)
	if k.failed(path) {
		return // not a mapping: nothing to check
	}
	k.secretName(s.Name, path)
	k.secretTarget(s, path)
	k.credentials(s, path)
	if s.UserName != "" && !iamUserRe.MatchString(s.UserName) {
		k.errorf(path+".user_name", "%s is not an IAM user name (1 to 64 letters, digits and _+=,.@-)", quote(s.UserName))
	}
	k.schedule(s, path)
	k.grace(s, path)
	k.retireWhen(s, path)
	k.notifyBefore(s, path)
	for j := range s.Sinks {
		if p := indexPath(path+".sinks", j); !k.failed(p) {
			k.sink(&s.Sinks[j], p)
		}
	}
}

// secretsAcross checks the rules that span several secrets: unique names,
// one target rotator per target.
func (k *checker) secretsAcross() {
	names := make(map[string]int, len(k.c.Secrets))
	rotators := map[string]int{}
	for i := range k.c.Secrets {
		s, path := &k.c.Secrets[i], indexPath("secrets", i)
		if k.failed(path) {
			continue
		}
		k.uniqueName(s.Name, i, names)
		if s.RotatorType == RotatorTarget && s.Target != "" && !k.failed(path+".rotator_type") {
			if first, dup := rotators[s.Target]; dup {
				k.errorf(path+".rotator_type", "target %s is already rotated by %s; a target has one target rotator", quote(s.Target), k.fieldLine(indexPath("secrets", first)))
			} else {
				rotators[s.Target] = i
			}
		}
	}
}

// secretName checks secrets[i]'s canonical name.
func (k *checker) secretName(name, path string) {
	path += ".name"
	if name == "" {
		k.errorf(path, "required; name the secret with a path such as /team-a/ci/deployer")
		return
	}
	if p := secretNameProblem(name); p != "" {
		k.errorf(path, "%s %s", quote(name), p)
	}
}

// uniqueName checks that no earlier secret has secrets[i]'s name.
func (k *checker) uniqueName(name string, i int, names map[string]int) {
	path := indexPath("secrets", i) + ".name"
	if name == "" || k.failed(path) {
		return
	}
	if first, dup := names[name]; dup {
		k.errorf(path, "%s is already the name of %s", quote(name), k.fieldLine(indexPath("secrets", first)))
		return
	}
	names[name] = i
}

// secretTarget checks that the secret names a target that exists.
func (k *checker) secretTarget(s *RotatedSecret, path string) {
	known := k.knownTargets()
	switch {
	case s.Target == "" && len(known) == 0:
		k.errorf(path+".target", "required; add a target under targets: and name it here")
	case s.Target == "":
		k.errorf(path+".target", "required; name one of the targets (%s)", strings.Join(known, ", "))
	default:
		k.targetRef(path+".target", s.Target, known)
	}
}

// knownTargets lists the names of the targets.
func (k *checker) knownTargets() []string {
	var known []string
	for _, t := range k.c.Targets {
		if t.Name != "" {
			known = append(known, t.Name)
		}
	}
	return known
}

// targetRef reports name, at path, when no target has it.
func (k *checker) targetRef(path, name string, known []string) {
	switch {
	case k.c.TargetByName(name) != nil:
	case closest(name, known) != "":
		k.errorf(path, "unknown target %s (did you mean %s?)", quote(name), closest(name, known))
	case len(known) == 0:
		k.errorf(path, "unknown target %s; add it under targets:", quote(name))
	default:
		k.errorf(path, "unknown target %s (targets: %s)", quote(name), strings.Join(known, ", "))
	}
}

// credentials checks rotator_type, authentication_credentials and the key
// fields that go with them.
func (k *checker) credentials(s *RotatedSecret, path string) {
	okType := k.enum(path+".rotator_type", s.RotatorType, RotatorAPIKey, RotatorTarget)
	okAuth := k.enum(path+".authentication_credentials", s.AuthenticationCredentials, UseUserCreds, UseTargetCreds)
	set := k.secretRef(path, s.SecretAccessKey, s.SecretAccessKeyFile, s.SecretAccessKeyEnv)
	if !okType || !okAuth {
		return
	}
	if s.RotatorType == RotatorTarget {
		k.targetRotator(s, path, set)
		return
	}
	k.accessKeyID(path+".access_key_id", s.AccessKeyID, "rotator_type: api-key")
	if s.AuthenticationCredentials == UseUserCreds && len(set) == 0 {
		k.errorf(path+".secret_access_key_file", "required with use-user-creds, where the user's own key signs its rotation; set secret_access_key_file, secret_access_key_env or secret_access_key, or use use-target-creds")
	}
	k.atMostOneSecret(path, set)
}

// targetRotator checks a secret that rotates its target's own key.
func (k *checker) targetRotator(s *RotatedSecret, path string, set []string) {
	if s.AuthenticationCredentials == UseUserCreds {
		k.errorf(path+".authentication_credentials", "use-user-creds does not go with rotator_type: target, which rotates the target's own key with the target's credentials; use use-target-creds or leave it out")
	}
	if s.AccessKeyID != "" {
		set = append([]string{"access_key_id"}, set...)
	}
	for _, f := range set {
		k.errorf(joinPath(path, f), "rotator_type: target rotates the key of target %s, which the target holds; remove %s", quote(s.Target), f)
	}
	t := k.c.TargetByName(s.Target)
	switch {
	case t == nil:
	case t.Credentials != CredentialsStatic:
		k.errorf(path+".target", "target %s has credentials: %s, so there is no key for rotator_type: target to rotate; give the target credentials: static", quote(s.Target), t.Credentials)
	case t.RoleARN != "":
		k.errorf(path+".target", "target %s assumes role_arn, so rotator_type: target would rotate the key of the user behind the role; use a target without role_arn", quote(s.Target))
	}
}
