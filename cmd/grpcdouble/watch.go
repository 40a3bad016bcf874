package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/grpcdouble/grpcdouble/expect"
)

// settleTime is how long the stub files must stay quiet before a reload:
// an editor's save is often several events (write, rename, chmod).
const settleTime = 100 * time.Millisecond

// reloader reloads the --stubs files on SIGHUP and, with --watch, when they
// change. A reload swaps the whole set at once; a bad one is logged and the
// last good set keeps answering.
type reloader struct {
	paths  []string
	reload func() (expect.StubChange, error)
	log    *slog.Logger

	reloads, failures atomic.Int64
	// done, when set, hears of every reload attempt (tests).
	done func(error)
}

// notifyHUP starts catching SIGHUP, whose default action ends the
// process. serve calls it before the server says it is listening, so a
// SIGHUP sent as soon as it is ready is caught (the reloader's goroutine
// may not have run yet); stop undoes it.
func notifyHUP() (hup <-chan os.Signal, stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGHUP)
	return ch, func() { signal.Stop(ch) }
}

// run reloads on each SIGHUP from hup (see notifyHUP) and each change
// watcher reports, until ctx is done. watcher is nil without --watch.
func (rl *reloader) run(ctx context.Context, hup <-chan os.Signal, watcher *fsnotify.Watcher) {
	var events <-chan fsnotify.Event
	var errs <-chan error
	if watcher != nil {
		events, errs = watcher.Events, watcher.Errors
	}
	settle := time.NewTimer(time.Hour)
	settle.Stop()
	defer settle.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			rl.log.Info("SIGHUP: reloading the stubs")
			rl.once()
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			if ev.Has(fsnotify.Create) {
				// A new folder under a watched one is watched too.
				if st, err := os.Stat(ev.Name); err == nil && st.IsDir() {
					if err := addTree(watcher, ev.Name); err != nil {
						rl.log.Warn("--watch: cannot watch a new folder", "folder", ev.Name, "err", err)
					}
				}
			}
			if !rl.concerns(ev.Name) {
				continue
			}
			rl.log.Debug("--watch: stub file changed", "file", ev.Name, "op", ev.Op.String())
			settle.Reset(settleTime)
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			rl.log.Warn("--watch: watching the stub files failed; SIGHUP still reloads", "err", err)
		case <-settle.C:
			rl.once()
		}
	}
}

// concerns reports whether a change to name can change the stubs: a stub
// file, or anything under a --stubs folder.
func (rl *reloader) concerns(name string) bool {
	name = filepath.Clean(name)
	for _, p := range rl.paths {
		p = filepath.Clean(p)
		if name == p {
			return true
		}
		if rel, err := filepath.Rel(p, name); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// once reloads the stubs and logs what changed, or why nothing did.
func (rl *reloader) once() {
	ch, err := rl.reload()
	if err != nil {
		rl.failures.Add(1)
		rl.log.Error("stubs not reloaded: the last good set keeps answering", "err", err)
	} else {
		rl.reloads.Add(1)
		rl.log.Info("stubs reloaded", "added", listOrNone(ch.Added), "removed", listOrNone(ch.Removed), "changed", listOrNone(ch.Changed))
	}
	if rl.done != nil {
		rl.done(err)
	}
}

func listOrNone(ids []string) []string {
	if ids == nil {
		return []string{}
	}
	return ids
}

// watchStubs watches the --stubs paths: each folder with every folder under
// it, and each file through its folder, since editors often save by
// writing a new file and renaming it over the old one.
func watchStubs(paths []string) (*fsnotify.Watcher, error) {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, fmt.Errorf("--watch: %w", err)
	}
	var dirs []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			_ = w.Close()
			return nil, fmt.Errorf("--watch: --stubs %s: %w", p, errors.Unwrap(err))
		}
		if st.IsDir() {
			if err := addTree(w, p); err != nil {
				_ = w.Close()
				return nil, fmt.Errorf("--watch: --stubs %s: %w", p, err)
			}
			continue
		}
		if d := filepath.Dir(p); !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
			if err := w.Add(d); err != nil {
				_ = w.Close()
				return nil, fmt.Errorf("--watch: --stubs %s: folder %s: %w", p, d, err)
			}
		}
	}
	return w, nil
}

// addTree watches root and every folder under it.
func addTree(w *fsnotify.Watcher, root string) error {
	return filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return w.Add(path)
		}
		return nil
	})
}
