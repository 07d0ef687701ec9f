package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/safetrace/safetrace/deploy/authority"
)

// DefaultRevocationsEvery is how often the revocation list is fetched.
const DefaultRevocationsEvery = time.Minute

// maxRevocationsSize bounds a fetched revocation list.
const maxRevocationsSize = 4 << 20

// revocations holds the newest verified revocation list of each authority
// (by public key). Lists only replace older ones (larger serial), so a
// replayed old list changes nothing.
type revocations struct {
	lists map[string]*authority.RevocationList // guarded by Server.mu
}

// SetRevocations installs the revocation list data (authority.ParseRevocations
// format) if it is signed by an authority of the manifest and newer than the
// list the server holds of that authority, and writes it to
// Config.RevocationsFile. It reports whether the list was installed; an
// older or equal serial is not an error.
func (s *Server) SetRevocations(data []byte) (bool, error) {
	return s.installRevocations(data, s.cfg.RevocationsFile != "")
}

// installRevocations is SetRevocations, writing the file only if save.
func (s *Server) installRevocations(data []byte, save bool) (bool, error) {
	l, err := authority.ParseRevocations(data)
	if err != nil {
		return false, fmt.Errorf("server: %w", err)
	}
	if err := l.VerifyFor(s.m); err != nil {
		return false, fmt.Errorf("server: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.revoked.lists == nil {
		s.revoked.lists = map[string]*authority.RevocationList{}
	}
	if old := s.revoked.lists[string(l.Key)]; old != nil && old.Serial >= l.Serial {
		return false, nil
	}
	if save {
		// Persist before use, so a restart never forgets a revocation
		// that was enforced. One file per deployment: the newest list
		// of each authority, one after another.
		if err := s.saveRevocations(l); err != nil {
			return false, err
		}
	}
	s.revoked.lists[string(l.Key)] = l
	s.log.Info("revocation list installed", "authority", l.Authority, "serial", l.Serial, "revoked", len(l.Revoked))
	return true, nil
}

// saveRevocations writes the lists with l in place of its key's list.
// s.mu is held.
func (s *Server) saveRevocations(l *authority.RevocationList) error {
	var buf bytes.Buffer
	for k, old := range s.revoked.lists {
		if k == string(l.Key) {
			continue
		}
		b, err := old.Marshal()
		if err != nil {
			return err
		}
		buf.Write(b)
	}
	b, err := l.Marshal()
	if err != nil {
		return err
	}
	buf.Write(b)
	path := s.cfg.RevocationsFile
	tmp, err := os.CreateTemp(filepath.Dir(path), ".revocations-*")
	if err != nil {
		return fmt.Errorf("server: save revocations: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(buf.Bytes()); err != nil {
		tmp.Close()
		return fmt.Errorf("server: save revocations: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("server: save revocations: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("server: save revocations: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("server: save revocations: %w", err)
	}
	return nil
}

// loadRevocations reads Config.RevocationsFile, if it exists: a sequence of
// JSON lists as saveRevocations writes them. It does not write the file
// again for each list it reads.
func (s *Server) loadRevocations() error {
	data, err := os.ReadFile(s.cfg.RevocationsFile)
	if os.IsNotExist(err) {
		return nil
	} else if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("server: %s: %w", s.cfg.RevocationsFile, err)
		}
		if _, err := s.installRevocations(raw, false); err != nil {
			return fmt.Errorf("%s: %w", s.cfg.RevocationsFile, err)
		}
	}
}

// revokedCode reports whether the authority key revoked the code id.
func (s *Server) revokedCode(key []byte, id [16]byte) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	l := s.revoked.lists[string(key)]
	return l != nil && l.Revokes(id)
}

// revocationsLoop fetches Config.RevocationsURL now and then every
// Config.RevocationsEvery until ctx is done. A failed fetch keeps the list
// the server has and is logged.
func (s *Server) revocationsLoop(ctx context.Context) {
	every := s.cfg.RevocationsEvery
	if every <= 0 {
		every = DefaultRevocationsEvery
	}
	for {
		if err := s.fetchRevocations(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("revocation list not fetched", "url", s.cfg.RevocationsURL, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

func (s *Server) fetchRevocations(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, "GET", s.cfg.RevocationsURL, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("status %s", resp.Status)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxRevocationsSize+1))
	if err != nil {
		return err
	}
	if len(data) > maxRevocationsSize {
		return fmt.Errorf("list larger than %d bytes", maxRevocationsSize)
	}
	_, err = s.SetRevocations(data)
	return err
}
