package config

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the .golden files under testdata/")

// fixtureEnv is the environment each fixture is loaded with; every other
// fixture gets an empty one.
var fixtureEnv = map[string]map[string]string{
	"testdata/broken/protection-key-not-base64.yaml": {"ROTATORD_PROTECTION_KEY": "bm90IGEga2V5!!"},
	"testdata/valid/full.yaml": {
		"ROTATORD_STAGING_SECRET": "fakeStagingEnvSecretAccessKey/000000005",
		"ROTATORD_NOTIFY_URL":     "https://hooks.example.com/services/fake-notify-token-0006",
	},
}

// lookupIn returns a LookupEnv that finds only the variables in env.
func lookupIn(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

// chdirFixtures moves the test to the module root, where the goldens are
// made, and gives the fixtures the modes git does not keep: secret files
// 0600, configuration files 0644 (as a checkout makes them).
func chdirFixtures(t *testing.T) {
	t.Helper()
	t.Chdir("..")
	for pattern, mode := range map[string]os.FileMode{"testdata/secrets/*": 0o600, "testdata/*/*.yaml": 0o644} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			if err := os.Chmod(f, mode); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// loadFixture loads a fixture as `rotatord validate` would, with its
// environment.
func loadFixture(f string) (*Config, error) {
	return LoadWith(f, LoadOptions{LookupEnv: lookupIn(fixtureEnv[f])})
}

var positioned = regexp.MustCompile(`^(?:warning: )?[^:]+\.yaml:[0-9]+:[0-9]+: `)

func TestGolden(t *testing.T) {
	chdirFixtures(t)
	files, err := filepath.Glob("testdata/*/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	broken := 0
	for _, f := range files {
		isBroken := strings.HasPrefix(f, "testdata/broken/")
		if isBroken {
			broken++
		}
		t.Run(strings.TrimPrefix(f, "testdata/"), func(t *testing.T) {
			c, err := loadFixture(f)
			got := Report(c, err)
			golden := strings.TrimSuffix(f, ".yaml") + ".golden"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err2 := os.ReadFile(golden)
			if err2 != nil {
				t.Fatalf("%v (run go test ./config -run TestGolden -update)", err2)
			}
			if got != string(want) {
				t.Errorf("Report(LoadWith(%s)):\ngot:\n%s\nwant:\n%s", f, got, want)
			}
			if (err != nil) != isBroken {
				t.Errorf("LoadWith(%s) error = %v, want an error: %v", f, err, isBroken)
			}
			lines := strings.Split(strings.TrimSuffix(got, "\n"), "\n")
			for _, l := range lines[:len(lines)-1] {
				if !positioned.MatchString(l) {
					t.Errorf("line without FILE:LINE:COL: %q", l)
				}
			}
			if isBroken && len(lines) < 2 {
				t.Errorf("broken fixture %s reports no problem", f)
			}
		})
	}
	if broken < 24 {
		t.Errorf("got %d broken fixtures, want at least 24", broken)
	}
}
