package command

import (
	"os"
	"strconv"

	"github.com/rotatord/rotatord/internal/sink"
)

// inherited are the daemon's environment variables a program gets, when
// the daemon has them: what common programs need to run, none of them a
// credential.
//
// The rest of the daemon's environment is left out, not just AWS_*: a
// target's or a webhook's secret may come from any variable
// (secret_access_key_env, url_env, hmac_secret_env, protection_key_env),
// and the daemon's AWS_ACCESS_KEY_ID, AWS_PROFILE, AWS_ROLE_ARN… would
// otherwise compete with the new key. A program that needs more (a region,
// a profile) sets it in argv: ["/usr/bin/env", "AWS_REGION=eu-west-1", …].
var inherited = []string{"PATH", "HOME", "USER", "LOGNAME", "LANG", "LC_ALL", "TZ", "TMPDIR"}

// defaultPath is PATH when the daemon has none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// environ returns a program's whole environment for delivering c: the
// inherited variables, then
//
//	AWS_ACCESS_KEY_ID      the new access key id
//	AWS_SECRET_ACCESS_KEY  the new secret access key
//	ROTATORD_SECRET        the rotated secret's name, such as /team-a/ci/deployer
//	ROTATORD_VERSION       the version's number, such as 7
//
// No session token: the key is a long-term IAM user key.
func environ(c sink.Credential) []string {
	env := make([]string, 0, len(inherited)+4)
	for _, k := range inherited {
		if v, ok := os.LookupEnv(k); ok {
			env = append(env, k+"="+v)
		} else if k == "PATH" {
			env = append(env, "PATH="+defaultPath)
		}
	}
	return append(env,
		"AWS_ACCESS_KEY_ID="+c.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY="+c.SecretAccessKey.Reveal(),
		"ROTATORD_SECRET="+c.Secret,
		"ROTATORD_VERSION="+strconv.Itoa(c.Version),
	)
}
