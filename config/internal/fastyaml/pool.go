package fastyaml

import "gopkg.in/yaml.v3"

// Pool hands out nodes from blocks that it reuses after Reset, so that
// parsing many items one after the other (Seq.Item) allocates once. Its
// zero value is ready; it is not safe for concurrent use.
type Pool struct {
	blocks [][]yaml.Node
	b, i   int // the next node is blocks[b][i]
}

const poolBlock = 64

func (np *Pool) get() *yaml.Node {
	if np.i == poolBlock {
		np.b, np.i = np.b+1, 0
	}
	if np.b == len(np.blocks) {
		np.blocks = append(np.blocks, make([]yaml.Node, poolBlock))
	}
	n := &np.blocks[np.b][np.i]
	np.i++
	content := n.Content[:0]
	*n = yaml.Node{Content: content}
	return n
}

// Reset makes every node available again: the nodes handed out before
// must no longer be used.
func (np *Pool) Reset() { np.b, np.i = 0, 0 }
