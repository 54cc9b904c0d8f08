package file

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	awsconfig "github.com/aws/aws-sdk-go-v2/config"
)

const (
	newID     = "AKIANEW"
	newSecret = "NEWSECRET"
	newPair   = "aws_access_key_id = AKIANEW\naws_secret_access_key = NEWSECRET\n"
)

func TestUpdateCredentials(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty file", "", "[p]\n" + newPair},
		{"append after other profile", "[a]\nx = 1\n", "[a]\nx = 1\n\n[p]\n" + newPair},
		{"append without trailing newline", "[a]\nx = 1", "[a]\nx = 1\n\n[p]\n" + newPair},
		{"append after blank line", "[a]\nx = 1\n\n", "[a]\nx = 1\n\n[p]\n" + newPair},
		{"append after a comment", "# c\n", "# c\n\n[p]\n" + newPair},
		{
			name: "replace in place, keep everything else",
			in: "# top\n[default]\naws_access_key_id = AKIADEF\naws_secret_access_key = DEFSECRET\n\n" +
				"[p]\nregion = eu-west-1   ; inline\naws_access_key_id=AKIAOLD\n; a comment\n" +
				"aws_secret_access_key   =   OLDSECRET # rotated\noutput = json\n[other]\nx = y\n",
			want: "# top\n[default]\naws_access_key_id = AKIADEF\naws_secret_access_key = DEFSECRET\n\n" +
				"[p]\nregion = eu-west-1   ; inline\naws_access_key_id=AKIANEW\n; a comment\n" +
				"aws_secret_access_key   =   NEWSECRET # rotated\noutput = json\n[other]\nx = y\n",
		},
		{
			name: "crlf",
			in:   "[a]\r\nx = 1\r\n\r\n[p]\r\naws_access_key_id = OLD\r\nregion = r\r\n",
			want: "[a]\r\nx = 1\r\n\r\n[p]\r\naws_access_key_id = AKIANEW\r\naws_secret_access_key = NEWSECRET\r\nregion = r\r\n",
		},
		{
			name: "crlf append",
			in:   "[a]\r\nx = 1\r\n",
			want: "[a]\r\nx = 1\r\n\r\n[p]\r\naws_access_key_id = AKIANEW\r\naws_secret_access_key = NEWSECRET\r\n",
		},
		{
			name: "remove session and security tokens",
			in:   "[p]\nAWS_SESSION_TOKEN = T1\naws_access_key_id = OLD\naws_secret_access_key = OLDS\naws_security_token=T2\nregion = r\n[q]\naws_session_token = KEEP\n",
			want: "[p]\naws_access_key_id = AKIANEW\naws_secret_access_key = NEWSECRET\nregion = r\n[q]\naws_session_token = KEEP\n",
		},
		{"section without keys", "[p]\nregion = r\n", "[p]\n" + newPair + "region = r\n"},
		{"header is the last line", "[p]", "[p]\n" + newPair},
		{"only the key id", "[p]\naws_access_key_id = OLD\nregion = r\n", "[p]\n" + newPair + "region = r\n"},
		{"only the secret", "[p]\nregion = r\naws_secret_access_key = OLD\n", "[p]\nregion = r\n" + newPair},
		{
			name: "no trailing newline kept",
			in:   "[p]\naws_access_key_id = OLD\naws_secret_access_key = OLDS",
			want: "[p]\naws_access_key_id = AKIANEW\naws_secret_access_key = NEWSECRET",
		},
		{
			name: "keys in a later duplicate section",
			in:   "[p]\nregion = r\n[q]\nx = 1\n[p]\naws_access_key_id = OLD\naws_secret_access_key = S\naws_session_token = T\n",
			want: "[p]\nregion = r\n[q]\nx = 1\n[p]\n" + newPair,
		},
		{
			name: "keys in both duplicates: first wins, later removed",
			in:   "[p]\naws_access_key_id = OLD1\naws_secret_access_key = S1\n[p]\naws_access_key_id = OLD2\naws_secret_access_key = S2\noutput = json\n",
			want: "[p]\n" + newPair + "[p]\noutput = json\n",
		},
		{"header with spaces and comment", "[ p ] # mine\nx = 1\n", "[ p ] # mine\n" + newPair + "x = 1\n"},
		{"colon separator", "[p]\naws_access_key_id: OLD\naws_secret_access_key : S\n", "[p]\naws_access_key_id: AKIANEW\naws_secret_access_key : NEWSECRET\n"},
		{"quoted old values", "[p]\naws_access_key_id = \"OLD\"\naws_secret_access_key = 'S'\n", "[p]\naws_access_key_id = AKIANEW\naws_secret_access_key = NEWSECRET\n"},
		{
			name: "continuation and nested lines of owned keys removed",
			in:   "[p]\naws_secret_access_key = OLD\n  more\naws_session_token =\n  x = y\n  # kept comment\n  z = w\nregion = r\n  cont\n",
			want: "[p]\naws_access_key_id = AKIANEW\naws_secret_access_key = NEWSECRET\n  # kept comment\nregion = r\n  cont\n",
		},
		{
			name: "nested block of another key kept",
			in:   "[p]\ns3 =\n  aws_access_key_id = NESTED\naws_access_key_id = OLD\n",
			want: "[p]\ns3 =\n  aws_access_key_id = NESTED\n" + newPair,
		},
		{"indented key at section start", "[p]\n  aws_access_key_id = OLD\n", "[p]\n" + newPair},
		{"similar names untouched", "[pp]\naws_access_key_id = A\n[profile p]\naws_access_key_id = B\n", "[pp]\naws_access_key_id = A\n[profile p]\naws_access_key_id = B\n\n[p]\n" + newPair},
		{"global keys untouched", "aws_access_key_id = G\n[p]\n", "aws_access_key_id = G\n[p]\n" + newPair},
		{"commented-out keys untouched", "[p]\n# aws_access_key_id = X\n;aws_session_token = Y\n", "[p]\n" + newPair + "# aws_access_key_id = X\n;aws_session_token = Y\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := string(updateCredentials([]byte(tt.in), "p", newID, newSecret))
			if got != tt.want {
				t.Fatalf("got\n%q\nwant\n%q", got, tt.want)
			}
			if again := string(updateCredentials([]byte(got), "p", newID, newSecret)); again != got {
				t.Errorf("not idempotent: second update gives\n%q", again)
			}
			assertSDKReads(t, []byte(got), "p", newID, newSecret)
		})
	}
}

// assertSDKReads checks that the AWS SDK reads profile's static keys from a
// credentials file holding data, with no session token.
func assertSDKReads(t *testing.T, data []byte, profile, id, secret string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	assertSDKReadsFile(t, path, profile, id, secret)
}

func assertSDKReadsFile(t *testing.T, path, profile, id, secret string) {
	t.Helper()
	sc, err := awsconfig.LoadSharedConfigProfile(context.Background(), profile, func(o *awsconfig.LoadSharedConfigOptions) {
		o.CredentialsFiles = []string{path}
		o.ConfigFiles = []string{}
	})
	if err != nil {
		t.Fatalf("SDK: load profile %s: %v", profile, err)
	}
	c := sc.Credentials
	if c.AccessKeyID != id || c.SecretAccessKey != secret || c.SessionToken != "" {
		t.Errorf("SDK reads id %q secret %q token %q, want %q %q and no token",
			c.AccessKeyID, c.SecretAccessKey, c.SessionToken, id, secret)
	}
}

func TestSectionName(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"[p]", "p", true},
		{"  [ p ]  ", "p", true},
		{"[p] ; c", "p", true},
		{"[profile   x]", "profile x", true},
		{"[p", "", false},
		{"[a#b]", "", false},
		{"x = [p]", "", false},
	}
	for _, tt := range tests {
		got, ok := sectionName(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("sectionName(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
