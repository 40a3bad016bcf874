package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The committed file is what the generator writes today.
func TestGeneratedFileIsCurrent(t *testing.T) {
	want, err := generate("../..")
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join("../..", output))
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "expect/%s is stale: run go generate ./expect", output)
}

const pkgSrc = `package p

import "time"

type expectation struct{}

func (e *expectation) tb() interface{ Helper() } { return nil }

type base[B any] struct {
	e    *expectation
	self B
}

// Delay waits.
func (b base[B]) Delay(d time.Duration, more ...int) B {
	b.e.tb().Helper()
	return b.self
}

type T struct{ base[*T] }

// Own is T's.
func (t *T) Own() *T { return t }
`

func TestForwardsSharedMethods(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "p.go"), []byte(pkgSrc), 0o644))
	src, err := generate(dir)
	require.NoError(t, err)
	assert.Contains(t, string(src), `import (
	"time"
)`)
	assert.Contains(t, string(src), `// Delay waits.
func (t *T) Delay(d time.Duration, more ...int) *T {
	t.e.tb().Helper()
	return t.base.Delay(d, more...)
}`)
	assert.NotContains(t, string(src), "Own")
}

func TestRefusesSharedMethodWithoutHelper(t *testing.T) {
	dir := t.TempDir()
	bad := []byte(pkgSrc + `
// Quiet forgets the helper.
func (b base[B]) Quiet() B { return b.self }
`)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "p.go"), bad, 0o644))
	_, err := generate(dir)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "p.go:26:1: Quiet: start the method with b.e.tb().Helper()")
}
