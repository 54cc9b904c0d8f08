package config

import (
	"strconv"
)

// owners checks that each access key and each named IAM user has one
// owner. Two secrets that manage one key (or one user) take turns
// deleting each other's live key: with adopt_unknown_keys the second
// one's make-room step deletes the key the first one's applications use.
//
//   - Two secrets may not have the same access_key_id; the second is
//     reported, naming the first and its line.
//   - A secret may not have a target's own access_key_id: rotating it
//     would delete the key that signs rotatord's IAM calls. The target's
//     rotator (rotator_type: target) is the one secret that rotates that
//     key, and it names no access_key_id of its own.
//   - Two targets may share a key (one account, two regions), but not
//     when a target rotator rotates it: the other target would be left
//     with a deleted key.
//   - Two secrets of one target may not name the same user_name.
//
// Two secrets that hold different keys of one IAM user, or that reach one
// account through two targets, cannot be told apart here; the rotation
// refuses the second at run time.
func (k *checker) owners() {
	targetKeys := k.targetKeys()
	keys := make(map[string]int, len(k.c.Secrets))
	users := map[targetUser]int{}
	anyFailed := len(k.seen) > 0 || len(k.sharedSeen) > 0 // else no path need be built to ask
	failed := func(i int, field string) bool {
		return anyFailed && (k.failed(indexPath("secrets", i)) || k.failed(indexPath("secrets", i)+"."+field))
	}
	for i := range k.c.Secrets {
		s := &k.c.Secrets[i]
		if s.RotatorType != RotatorAPIKey {
			continue
		}
		if s.AccessKeyID != "" && !failed(i, "access_key_id") {
			k.ownKey(i, s.AccessKeyID, keys, targetKeys)
		}
		if s.UserName == "" || s.Target == "" || failed(i, "user_name") {
			continue
		}
		key := targetUser{s.Target, s.UserName}
		if first, dup := users[key]; dup {
			k.errorf(indexPath("secrets", i)+".user_name", "%s is also the user of %s on target %s; one IAM user has one owner: remove one of the two secrets",
				quote(s.UserName), k.secretLine(first, "user_name"), quote(s.Target))
		} else {
			users[key] = i
		}
	}
}

// targetUser is an IAM user named by user_name, on a target.
type targetUser struct{ target, user string }

// ownKey checks that secrets[i]'s access key id id belongs to no earlier
// secret and to no target; keys maps the ids seen so far to their secret.
func (k *checker) ownKey(i int, id string, keys map[string]int, targetKeys map[string]int) {
	path := func() string { return indexPath("secrets", i) + ".access_key_id" } // built only for an error
	if t, ok := targetKeys[id]; ok {
		name := k.c.Targets[t].Name
		k.errorf(path(), "%s is the key of target %s (targets[%d], line %d), which signs rotatord's IAM calls; to rotate a target's own key, add a secret with rotator_type: target and target: %s instead",
			id, quote(name), t, k.at(indexPath("targets", t)+".access_key_id").Line, name)
		return
	}
	if first, dup := keys[id]; dup {
		k.errorf(path(), "%s is also the key of %s; one key has one owner: remove one of the two secrets, or give each its own IAM user",
			id, k.secretLine(first, "access_key_id"))
		return
	}
	keys[id] = i
}

// targetKeys maps the access key id of each target with static
// credentials to the target's index, and reports a target whose key is
// also the key of a target whose key is rotated (rotator_type: target).
func (k *checker) targetKeys() map[string]int {
	out := map[string]int{}
	for i := range k.c.Targets {
		t, path := &k.c.Targets[i], indexPath("targets", i)
		if t.Credentials != CredentialsStatic || t.AccessKeyID == "" || k.failed(path) || k.failed(path+".access_key_id") {
			continue
		}
		first, dup := out[t.AccessKeyID]
		if !dup {
			out[t.AccessKeyID] = i
			continue
		}
		for _, j := range []int{first, i} {
			if r := k.c.TargetRotator(k.c.Targets[j].Name); r != nil && k.c.Targets[j].Name != "" {
				k.errorf(path+".access_key_id", "%s is also the key of target %s (targets[%d], line %d), and secret %s rotates it (rotator_type: target); a rotation would leave the other target with a deleted key: give each target its own key",
					t.AccessKeyID, quote(k.c.Targets[first].Name), first, k.at(indexPath("targets", first)+".access_key_id").Line, r.Name)
				break
			}
		}
	}
	return out
}

// secretLine names secrets[i] in a message about a pair: its index, its
// name and the line of its field.
func (k *checker) secretLine(i int, field string) string {
	at := indexPath("secrets", i)
	return at + " (" + k.c.Secrets[i].Name + ", line " + strconv.Itoa(k.at(at+"."+field).Line) + ")"
}
