package iam

// The IAM service keeps some state in memory besides the store. Each piece is registered in memory(),
// with how to empty it and how much it holds, so that a dev-mode reset (ResetMemory) returns all of it
// to fresh and a test can walk every piece (TestEveryMemoryStoreIsRegistered checks that no field of
// Service holds state without being registered).

// memoryStore is a piece of the service's in-memory state.
type memoryStore struct {
	// reset empties it.
	reset func()
	// held counts what it holds (entries, or counted work for the simulator's statistics).
	held func() int
}

// memory lists every piece of in-memory state of the service, by field name.
func (s *Service) memory() map[string]memoryStore {
	return map[string]memoryStore{
		"uses":        {reset: s.uses.reset, held: s.uses.held},
		"reports":     {reset: s.reports.reset, held: s.reports.held},
		"pwThrottle":  {reset: s.pwThrottle.reset, held: s.pwThrottle.held},
		"mfaThrottle": {reset: s.mfaThrottle.reset, held: s.mfaThrottle.size},
		"simStats":    {reset: s.simStats.reset, held: s.simStats.held},
		"accessJobs":  {reset: s.accessJobs.reset, held: s.accessJobs.held},
	}
}

// ResetMemory forgets everything the service holds in memory: last uses not yet written (they belong to keys and roles a reset deleted), credential reports,
// password and MFA-code throttles and the simulator's statistics. A dev-mode reset calls it after wiping the store.
func (s *Service) ResetMemory() {
	for _, m := range s.memory() {
		m.reset()
	}
}

// MemoryHeld reports how much each piece of in-memory state holds, by name ("iam.reports", …).
func (s *Service) MemoryHeld() map[string]int {
	out := map[string]int{}
	for name, m := range s.memory() {
		out["iam."+name] = m.held()
	}
	return out
}

func (r *useRecorder) reset() {
	r.flushMu.Lock() // not while a flush writes what it took
	defer r.flushMu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.pending)
	clear(r.written)
}

func (r *useRecorder) held() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pending) + len(r.written)
}

// reset drops every report. A build running now still finishes (its report then describes the state
// before the reset: the build read it before), so builds are forgotten too and their result dropped.
func (r *reportCache) reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	clear(r.reports)
	clear(r.building)
}

func (r *reportCache) held() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.reports) + len(r.building)
}

func (l *rateLimiter) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	clear(l.buckets)
}

func (p *passwordThrottle) reset() {
	p.verifyByUser.reset()
	p.hashByPrincipal.reset()
	p.hashBySource.reset()
}

func (p *passwordThrottle) held() int {
	return p.verifyByUser.size() + p.hashByPrincipal.size() + p.hashBySource.size()
}

func (st *simulationStats) reset() {
	st.scenarios.Store(0)
	st.work.Store(0)
}

func (st *simulationStats) held() int { return int(st.scenarios.Load() + st.work.Load()) }
