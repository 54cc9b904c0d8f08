package state

import "bytes"

// page checks the tree below page id the way bbolt's consistency check
// (Tx.Check) does, so that bbolt's own walk at a read-write open finds
// nothing to panic about: a branch page's children and a leaf page's
// sub-buckets, the bounds of every element, and key order (keys increase
// along a page and stay within the range their parent's branch keys give
// them). It returns the largest key under the page, a copy, or nil for an
// empty leaf.
func (c *checker) page(id uint64, minKey, maxKey []byte, depth int) ([]byte, error) {
	buf, err := c.span(id, depth)
	if err != nil {
		return nil, err
	}
	flags, count := ne.Uint16(buf[8:]), int(ne.Uint16(buf[10:]))
	switch flags {
	case branchPageFlag:
		return c.branch(id, buf, count, minKey, maxKey, depth)
	case leafPageFlag:
		return c.leaf(id, buf, count, minKey, maxKey, depth)
	}
	return nil, damaged(c.path, "page %d has type %#x, not a branch or leaf page", id, flags)
}

func (c *checker) branch(id uint64, buf []byte, count int, minKey, maxKey []byte, depth int) ([]byte, error) {
	if count == 0 {
		return nil, damaged(c.path, "branch page %d is empty", id)
	}
	if pageHeaderSize+count*elemSize > len(buf) {
		return nil, damaged(c.path, "page %d counts %d elements, more than it holds", id, count)
	}
	keys := make([][]byte, count)
	children := make([]uint64, count)
	for i := range count {
		at := pageHeaderSize + i*elemSize
		k, ok := field(buf, at, uint64(ne.Uint32(buf[at:])), ne.Uint32(buf[at+4:]))
		if !ok {
			return nil, damaged(c.path, "page %d: element %d lies outside the page", id, i)
		}
		keys[i], children[i] = k, ne.Uint64(buf[at+8:])
	}
	running := minKey
	for i := range count {
		if err := c.order(id, i, keys[i], running, maxKey); err != nil {
			return nil, err
		}
		next := maxKey
		if i < count-1 {
			next = keys[i+1]
		}
		last, err := c.page(children[i], keys[i], next, depth+1)
		if err != nil {
			return nil, err
		}
		running = last
	}
	return running, nil
}

// leaf checks a leaf page, or the inline page of a small bucket (which
// lives in a value of page id), and the buckets it holds.
func (c *checker) leaf(id uint64, buf []byte, count int, minKey, maxKey []byte, depth int) ([]byte, error) {
	if pageHeaderSize+count*elemSize > len(buf) {
		return nil, damaged(c.path, "page %d counts %d elements, more than it holds", id, count)
	}
	prev := minKey
	for i := range count {
		at := pageHeaderSize + i*elemSize
		flags, pos := ne.Uint32(buf[at:]), ne.Uint32(buf[at+4:])
		ksize, vsize := ne.Uint32(buf[at+8:]), ne.Uint32(buf[at+12:])
		k, ok := field(buf, at, uint64(pos), ksize)
		var v []byte
		if ok {
			v, ok = field(buf, at, uint64(pos)+uint64(ksize), vsize)
		}
		if !ok {
			return nil, damaged(c.path, "page %d: element %d lies outside the page", id, i)
		}
		if err := c.order(id, i, k, prev, maxKey); err != nil {
			return nil, err
		}
		prev = k
		if flags&bucketLeafFlag != 0 {
			if err := c.bucket(id, i, v, depth+1); err != nil {
				return nil, err
			}
		}
	}
	if count == 0 {
		return nil, nil
	}
	return bytes.Clone(prev), nil
}

// bucket checks the bucket that element i of page id holds: the tree
// under its root page, or its inline page.
func (c *checker) bucket(id uint64, i int, v []byte, depth int) error {
	if len(v) < bucketHeaderSize {
		return damaged(c.path, "page %d: bucket %d has a %d-byte header", id, i, len(v))
	}
	if root := ne.Uint64(v); root != 0 {
		_, err := c.page(root, nil, nil, depth)
		return err
	}
	inline := v[bucketHeaderSize:]
	if len(inline) < pageHeaderSize || ne.Uint16(inline[8:]) != leafPageFlag {
		return damaged(c.path, "page %d: bucket %d has no valid inline page", id, i)
	}
	_, err := c.leaf(id, inline, int(ne.Uint16(inline[10:])), nil, nil, depth)
	return err
}

// order checks key i of a page as bbolt does: after the previous key
// (strictly, except the first, which may equal its parent's key) and
// before maxKey, the next key of the parent.
func (c *checker) order(id uint64, i int, key, prev, maxKey []byte) error {
	if (i == 0 && prev != nil && bytes.Compare(prev, key) > 0) || (i > 0 && bytes.Compare(prev, key) >= 0) {
		return damaged(c.path, "page %d: key %d is out of order", id, i)
	}
	if maxKey != nil && bytes.Compare(key, maxKey) >= 0 {
		return damaged(c.path, "page %d: key %d is beyond its parent's range", id, i)
	}
	return nil
}

// field returns the n bytes at off bytes past the element at elem, if they
// lie within buf.
func field(buf []byte, elem int, off uint64, n uint32) ([]byte, bool) {
	start := uint64(elem) + off
	end := start + uint64(n)
	if end > uint64(len(buf)) {
		return nil, false
	}
	return buf[start:end], true
}
