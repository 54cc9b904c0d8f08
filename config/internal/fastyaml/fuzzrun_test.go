package fastyaml

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// fuzzTime is how long TestFuzzParse fuzzes; with building the fuzzing
// binary it costs go test about 25 s.
const fuzzTime = "20s"

// TestFuzzParse runs FuzzParse for fuzzTime beyond its seeds, so that the
// contract is fuzzed by every `go test ./...`, CI's command, and not only
// checked on the corpus. It runs `go test -fuzz` on this package in a
// subprocess; a failing input the fuzzer finds is written under
// testdata/fuzz/FuzzParse, where it becomes a seed that every run checks.
// Minimizing is cut to a second: the new inputs of a longer fixture
// otherwise stall the fuzzer for seconds at a time.
func TestFuzzParse(t *testing.T) {
	if testing.Short() {
		t.Skip("fuzzing for " + fuzzTime + "; -short skips it")
	}
	limit := 3 * time.Minute // building, fuzzing, and room for a loaded machine
	if d, ok := t.Deadline(); ok && time.Until(d)-10*time.Second < limit {
		limit = time.Until(d) - 10*time.Second
	}
	ctx, cancel := context.WithTimeout(t.Context(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(runtime.GOROOT(), "bin", "go"),
		"test", "-run", "^$", "-fuzz", "^FuzzParse$", "-fuzztime", fuzzTime, "-fuzzminimizetime", "1s", ".")
	// GOFLAGS from the environment (say -race) is not for the fuzzer.
	cmd.Env = append(os.Environ(), "GOFLAGS=")
	start := time.Now()
	out, err := cmd.CombinedOutput()
	switch {
	case ctx.Err() != nil:
		t.Fatalf("fuzzing did not end within %v:\n%s", limit, out)
	case err != nil:
		t.Fatalf("go test -fuzz ^FuzzParse$: %v (a failing input is now under testdata/fuzz/FuzzParse):\n%s", err, out)
	}
	t.Logf("fuzzed for %s in %v", fuzzTime, time.Since(start).Round(time.Second))
}
