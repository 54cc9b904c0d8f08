package edit

// The sink kinds register themselves with config when imported, as
// cmd/rotatord imports them; the editor validates what it writes with
// config, so its tests import them too.
import _ "github.com/rotatord/rotatord/internal/sink/kinds"
