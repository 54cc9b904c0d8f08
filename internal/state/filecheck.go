package state

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// bbolt's file layout (go.etcd.io/bbolt v1.5, internal/common): pages of
// pageSize bytes, each with a 16-byte header; pages 0 and 1 are the meta
// pages, the one with the higher transaction id is current. bbolt reads
// its pages through a memory map and trusts them: a bad page id makes it
// panic (or read outside the file: SIGBUS, SIGSEGV), and it walks the whole
// tree at a read-write open in a goroutine of its own, where a panic ends
// the process. So the file is checked here first, with plain reads, before
// bbolt maps it.
const (
	boltMagic        = 0xED0CDAED
	boltVersion      = 2
	pageHeaderSize   = 16 // id u64, flags u16, count u16, overflow u32
	metaSize         = 64 // after the page header; the checksum is the last u64
	elemSize         = 16 // branch: pos, ksize u32, pgid u64; leaf: flags, pos, ksize, vsize u32
	bucketHeaderSize = 16 // root pgid u64, sequence u64; an inline page follows when root is 0
	pgidNoFreelist   = ^uint64(0)
	minPageSize      = 1024
	maxPageSize      = 1 << 24
	maxTreeDepth     = 64

	branchPageFlag   = 0x01
	leafPageFlag     = 0x02
	metaPageFlag     = 0x04
	freelistPageFlag = 0x10
	bucketLeafFlag   = 0x01
)

var ne = binary.NativeEndian // bbolt writes its structs in the machine's byte order

// boltMeta is a meta page's content.
type boltMeta struct {
	pageID                                  uint64
	pageFlags                               uint16
	magic, version, pageSize                uint32
	root, freelist, hwm, txid, sum, wantSum uint64
}

func parseMeta(b []byte) boltMeta {
	m := b[pageHeaderSize : pageHeaderSize+metaSize]
	h := fnv.New64a()
	h.Write(m[:metaSize-8])
	return boltMeta{
		pageID: ne.Uint64(b[0:]), pageFlags: ne.Uint16(b[8:]),
		magic: ne.Uint32(m[0:]), version: ne.Uint32(m[4:]), pageSize: ne.Uint32(m[8:]),
		root: ne.Uint64(m[16:]), freelist: ne.Uint64(m[32:]), hwm: ne.Uint64(m[40:]),
		txid: ne.Uint64(m[48:]), sum: ne.Uint64(m[56:]), wantSum: h.Sum64(),
	}
}

// problem says what is wrong with meta page k, "" if nothing.
func (m boltMeta) problem(k uint64) string {
	switch {
	case m.magic != boltMagic:
		return "no bbolt magic number"
	case m.version != boltVersion:
		return fmt.Sprintf("bbolt format version %d, not %d", m.version, boltVersion)
	case m.sum != m.wantSum:
		return "checksum mismatch"
	case m.pageID != k || m.pageFlags != metaPageFlag:
		return fmt.Sprintf("its page header says page %d, flags %#x", m.pageID, m.pageFlags)
	case m.txid%2 != k:
		return fmt.Sprintf("transaction %d belongs on the other meta page", m.txid)
	}
	return ""
}

// checker reads a state file's pages with pread and checks every page that
// bbolt can reach from the current meta page.
type checker struct {
	path string
	f    *os.File
	size int64
	ps   uint64 // page size
	hwm  uint64 // pages in use: every reachable page id is below it
	seen []uint64
	bufs [][]byte // a page buffer per tree depth
}

// checkFile opens the state file read-only and checks it: both meta pages
// (magic, version, checksum, page size, high-water mark within the file,
// root and freelist below it) and every reachable page (its id, type,
// element bounds, children below the high-water mark and referenced once,
// key order), as bbolt's own consistency check does. It returns the
// file's stamp, an error wrapping fs.ErrNotExist if there is no file, or a
// *FileError.
func checkFile(path string) (fileStamp, error) {
	f, err := openStateFile(path, readOnly)
	if err != nil {
		return fileStamp{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fileStamp{}, fmt.Errorf("stat state file %s: %w", path, err)
	}
	c := &checker{path: path, f: f, size: fi.Size()}
	if err := c.run(); err != nil {
		return fileStamp{}, err
	}
	return stampOf(fi), nil
}

func (c *checker) run() error {
	if c.size == 0 {
		return damaged(c.path, "it is empty")
	}
	const metaEnd = pageHeaderSize + metaSize
	buf := make([]byte, metaEnd)
	if err := c.readAt(buf, 0); err != nil {
		return err
	}
	m0 := parseMeta(buf)
	if p := m0.problem(0); p != "" {
		if m0.magic != boltMagic && !c.anyMeta1() {
			return foreign(c.path, "not a bbolt database: %s", p)
		}
		if m0.magic == boltMagic && m0.version != boltVersion {
			return foreign(c.path, "%s", p)
		}
		return damaged(c.path, "meta page 0: %s", p)
	}
	c.ps = uint64(m0.pageSize)
	if c.ps < minPageSize || c.ps > maxPageSize || c.ps&(c.ps-1) != 0 {
		return damaged(c.path, "meta page 0: page size %d", c.ps)
	}
	if uint64(c.size) < 2*c.ps {
		return damaged(c.path, "it is truncated to %s, shorter than its two meta pages", byteCount(c.size))
	}
	if err := c.readAt(buf, int64(c.ps)); err != nil {
		return err
	}
	m1 := parseMeta(buf)
	if p := m1.problem(1); p != "" {
		return damaged(c.path, "meta page 1: %s", p)
	}
	if uint64(m1.pageSize) != c.ps {
		return damaged(c.path, "meta page 1: page size %d, but meta page 0 says %d", m1.pageSize, c.ps)
	}
	for k, m := range []boltMeta{m0, m1} {
		if err := c.checkMetaBounds(k, m); err != nil {
			return err
		}
	}
	cur := m0
	if m1.txid > m0.txid {
		cur = m1
	}
	c.hwm = cur.hwm
	c.seen = make([]uint64, (c.hwm+63)/64)
	c.mark(0)
	c.mark(1)
	if _, err := c.page(cur.root, nil, nil, 0); err != nil {
		return err
	}
	if cur.freelist != pgidNoFreelist {
		return c.freelist(cur.freelist)
	}
	return nil
}

// anyMeta1 reports whether a valid meta page 1 sits at any page size bbolt
// tries: then meta page 0 is damaged rather than the file foreign.
func (c *checker) anyMeta1() bool {
	buf := make([]byte, pageHeaderSize+metaSize)
	for ps := int64(minPageSize); ps <= maxPageSize && ps+int64(len(buf)) <= c.size; ps *= 2 {
		if _, err := c.f.ReadAt(buf, ps); err == nil && parseMeta(buf).problem(1) == "" {
			return true
		}
	}
	return false
}

func (c *checker) checkMetaBounds(k int, m boltMeta) error {
	if m.hwm > uint64(c.size)/c.ps {
		return damaged(c.path, "it is truncated to %s, but meta page %d counts %d pages of %d bytes", byteCount(c.size), k, m.hwm, c.ps)
	}
	if m.root < 2 || m.root >= m.hwm {
		return damaged(c.path, "meta page %d: root page %d is outside pages 2..%d", k, m.root, m.hwm)
	}
	if m.freelist != pgidNoFreelist && (m.freelist < 2 || m.freelist >= m.hwm) {
		return damaged(c.path, "meta page %d: freelist page %d is outside pages 2..%d", k, m.freelist, m.hwm)
	}
	return nil
}

// readAt fills b from off; a short file is a truncated one.
func (c *checker) readAt(b []byte, off int64) error {
	n, err := c.f.ReadAt(b, off)
	if err == io.EOF || (err == nil && n < len(b)) {
		return damaged(c.path, "it is truncated to %s", byteCount(c.size))
	}
	if err != nil {
		return fmt.Errorf("read state file %s: %w", c.path, err)
	}
	return nil
}

// mark records page id as reached and reports whether it was already.
func (c *checker) mark(id uint64) (again bool) {
	w, bit := id/64, uint64(1)<<(id%64)
	again = c.seen[w]&bit != 0
	c.seen[w] |= bit
	return again
}

// span reads page id and its overflow pages into the buffer of depth,
// after checking the page header's id, and marks them reached.
func (c *checker) span(id uint64, depth int) ([]byte, error) {
	if id < 2 || id >= c.hwm {
		return nil, damaged(c.path, "a reference to page %d, outside pages 2..%d", id, c.hwm)
	}
	if depth >= maxTreeDepth {
		return nil, damaged(c.path, "its tree is deeper than %d pages at page %d", maxTreeDepth, id)
	}
	for len(c.bufs) <= depth {
		c.bufs = append(c.bufs, make([]byte, c.ps))
	}
	buf := c.bufs[depth][:c.ps]
	if err := c.readAt(buf, int64(id*c.ps)); err != nil {
		return nil, err
	}
	if got := ne.Uint64(buf); got != id {
		return nil, damaged(c.path, "page %d says it is page %d", id, got)
	}
	overflow := uint64(ne.Uint32(buf[12:]))
	if overflow >= c.hwm-id {
		return nil, damaged(c.path, "page %d claims %d overflow pages, past the high-water mark %d", id, overflow, c.hwm)
	}
	for p := id; p <= id+overflow; p++ {
		if c.mark(p) {
			return nil, damaged(c.path, "page %d is referenced twice", p)
		}
	}
	if overflow > 0 {
		n := (overflow + 1) * c.ps
		if uint64(cap(c.bufs[depth])) < n {
			c.bufs[depth] = make([]byte, n)
		}
		buf = c.bufs[depth][:n]
		if err := c.readAt(buf, int64(id*c.ps)); err != nil {
			return nil, err
		}
	}
	return buf, nil
}

// freelist checks a persisted freelist page: its ids are distinct pages
// below the high-water mark that no tree reaches.
func (c *checker) freelist(id uint64) error {
	buf, err := c.span(id, 0)
	if err != nil {
		return err
	}
	if flags := ne.Uint16(buf[8:]); flags != freelistPageFlag {
		return damaged(c.path, "freelist page %d has type %#x", id, flags)
	}
	start, count := uint64(pageHeaderSize), uint64(ne.Uint16(buf[10:]))
	if count == 0xFFFF {
		count = ne.Uint64(buf[pageHeaderSize:])
		start += 8
	}
	if count > (uint64(len(buf))-start)/8 {
		return damaged(c.path, "freelist page %d counts %d ids, more than it holds", id, count)
	}
	for i := range count {
		free := ne.Uint64(buf[start+8*i:])
		if free < 2 || free >= c.hwm || c.mark(free) {
			return damaged(c.path, "freelist page %d frees page %d, which is in use or out of range", id, free)
		}
	}
	return nil
}

// byteCount writes n bytes in words: "1 byte", "4096 bytes".
func byteCount(n int64) string {
	if n == 1 {
		return "1 byte"
	}
	return fmt.Sprintf("%d bytes", n)
}
