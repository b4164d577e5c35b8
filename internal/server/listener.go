package server

import (
	"net"
	"sync"
	"sync/atomic"
)

// WrapListener bounds the connections served at once to max (0: no bound) and counts them in the
// metrics. A connection over the bound is closed as soon as it is accepted: the client learns at once
// and can retry, instead of waiting unseen in the kernel's accept queue while others hold every slot.
func (s *Server) WrapListener(ln net.Listener, max int) net.Listener {
	return &limitListener{Listener: ln, max: int64(max), m: s.metrics}
}

type limitListener struct {
	net.Listener
	max  int64
	open atomic.Int64
	m    *metrics
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if n := l.open.Add(1); l.max > 0 && n > l.max {
			l.open.Add(-1)
			l.m.refused.Inc()
			_ = c.Close()
			continue
		}
		l.m.conns.Inc()
		return &countedConn{Conn: c, l: l}, nil
	}
}

// countedConn gives its slot back when closed, once.
type countedConn struct {
	net.Conn
	l    *limitListener
	once sync.Once
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.open.Add(-1)
		c.l.m.conns.Dec()
	})
	return err
}
