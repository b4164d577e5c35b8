// Package smtpsink is a minimal SMTP server on loopback for tests: it accepts every command (AUTH
// included, without checking it) and keeps each message's envelope and data. Only tests import it.
package smtpsink

import (
	"bufio"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// Sink is a running SMTP server.
type Sink struct {
	ln   net.Listener
	mu   sync.Mutex
	auth []string
	msgs []string
}

// Start listens on 127.0.0.1 until the test ends.
func Start(t testing.TB) *Sink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	s := &Sink{ln: ln}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(c)
		}
	}()
	return s
}

// Addr is the sink's host:port.
func (s *Sink) Addr() string { return s.ln.Addr().String() }

// Messages returns each message received: its MAIL and RCPT commands, one a line, then its data.
func (s *Sink) Messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.msgs...)
}

// Auths returns the AUTH commands received.
func (s *Sink) Auths() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auth...)
}

func (s *Sink) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	r := bufio.NewReader(c)
	say := func(l string) { _, _ = c.Write([]byte(l + "\r\n")) }
	say("220 sink ESMTP")
	var env []string
	for {
		l, err := r.ReadString('\n')
		if err != nil {
			return
		}
		l = strings.TrimRight(l, "\r\n")
		up := strings.ToUpper(l)
		switch {
		case strings.HasPrefix(up, "EHLO"):
			say("250-sink")
			say("250 AUTH PLAIN")
		case strings.HasPrefix(up, "AUTH"):
			s.mu.Lock()
			s.auth = append(s.auth, l)
			s.mu.Unlock()
			say("235 ok")
		case strings.HasPrefix(up, "MAIL"), strings.HasPrefix(up, "RCPT"):
			env = append(env, l)
			say("250 ok")
		case up == "DATA":
			say("354 go on")
			var data strings.Builder
			for {
				dl, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if dl == ".\r\n" {
					break
				}
				data.WriteString(dl)
			}
			s.mu.Lock()
			s.msgs = append(s.msgs, strings.Join(env, "\n")+"\n"+data.String())
			s.mu.Unlock()
			env = nil
			say("250 queued")
		case up == "QUIT":
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}
