package server

import (
	"net"
	"sync"
	"sync/atomic"
)

// WrapListener bounds the connections served at once to max, and those from one client address to
// perClient (0: no bound), and counts them in the metrics. A connection over a bound is closed as soon as
// it is accepted: the client learns at once and can retry, instead of waiting unseen in the kernel's
// accept queue while others hold every slot.
func (s *Server) WrapListener(ln net.Listener, max, perClient int) net.Listener {
	return &limitListener{Listener: ln, max: int64(max), perClient: perClient, byClient: map[string]int{}, m: s.metrics}
}

type limitListener struct {
	net.Listener
	max  int64
	open atomic.Int64
	m    *metrics

	perClient int
	mu        sync.Mutex
	byClient  map[string]int // open connections per client address; entries only while one is open
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if n := l.open.Add(1); l.max > 0 && n > l.max {
			l.open.Add(-1)
			l.refuse(c)
			continue
		}
		client := ""
		if l.perClient > 0 {
			client = clientAddr(c)
			l.mu.Lock()
			ok := l.byClient[client] < l.perClient
			if ok {
				l.byClient[client]++
			}
			l.mu.Unlock()
			if !ok {
				l.open.Add(-1)
				l.refuse(c)
				continue
			}
		}
		l.m.conns.Inc()
		return &countedConn{Conn: c, l: l, client: client}, nil
	}
}

func (l *limitListener) refuse(c net.Conn) {
	l.m.refused.Inc()
	_ = c.Close()
}

// clientAddr is the IP address of the connection's peer.
func clientAddr(c net.Conn) string {
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.IP.String()
	}
	host, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return c.RemoteAddr().String()
	}
	return host
}

// countedConn gives its slots back when closed, once.
type countedConn struct {
	net.Conn
	l      *limitListener
	client string
	once   sync.Once
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() {
		c.l.open.Add(-1)
		c.l.m.conns.Dec()
		if c.l.perClient > 0 {
			c.l.mu.Lock()
			if c.l.byClient[c.client]--; c.l.byClient[c.client] <= 0 {
				delete(c.l.byClient, c.client)
			}
			c.l.mu.Unlock()
		}
	})
	return err
}
