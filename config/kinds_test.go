package config_test

// The sink kinds register themselves with config. Imported here, in the
// external test package, they register in the test binary too, so that
// config's own tests (package config, which cannot import them) parse
// files with sinks as rotatord does.
import _ "github.com/rotatord/rotatord/internal/sink/kinds"
