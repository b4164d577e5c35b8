package iam

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/iamd/iamd/internal/reqctx"
	"github.com/iamd/iamd/internal/storage"
)

// Access keys and roles record their last use (GetAccessKeyLastUsed, RoleLastUsed) write-behind: the
// request path only notes the use in memory, coalesced per key (the latest use wins), and a background
// flusher writes what is pending every useFlushInterval, in batches of useFlushBatch per transaction. A
// key is written at most once per useWriteInterval whatever service or region it was used with (AWS itself
// reports last use with coarse, delayed precision); until then this node answers from memory. The writes
// publish storage.ChangeAccessKeyUsed / ChangeRoleUsed, which no credential or policy cache drops
// anything for. useMaxTracked bounds the memory of both maps. The intervals and bounds are in limits.go.

type useKind uint8

const (
	useOfKey useKind = iota
	useOfRole
	useOfServiceByUser // access advisor: a user's request to one action of a service
	useOfServiceByRole // the same for a role's sessions
)

// useID names what was used: an access key (name is its ID), a role (account and folded name), or, for
// access advisor, one action (action) of a service namespace (ns) by a user or role (account, and name is
// its unique ID, so that a principal deleted and recreated under the same name starts afresh). A request costs one entry whatever it is: access advisor's service-level data is the latest of
// the namespace's actions, derived when a report is built.
type useID struct {
	kind    useKind
	account string
	name    string
	ns      string
	action  string
}

func keyUseID(keyID string) useID { return useID{kind: useOfKey, name: keyID} }

func roleUseID(account, role string) useID {
	return useID{kind: useOfRole, account: account, name: storage.Fold(role)}
}

// use is one recorded use: when, and through which service (keys only) and region.
type use struct {
	at      time.Time
	service string
	region  string
}

// useRecorder holds the uses not yet written and when each key was last written.
type useRecorder struct {
	// mu is shared by record's look at the pending use (see record), exclusive for every change.
	mu      sync.RWMutex
	pending map[useID]use
	written map[useID]time.Time
	// flushMu runs one flush at a time, so the background flusher and FlushUses never write the same
	// entry twice or race on requeueing it.
	flushMu sync.Mutex
}

func (r *useRecorder) init() {
	r.pending = make(map[useID]use)
	r.written = make(map[useID]time.Time)
}

// record notes a use; an earlier use than the one pending is ignored (requests finish out of order).
func (r *useRecorder) record(id useID, u use) {
	// Nearly every request repeats the use pending for its key and action (the same service and region
	// within the same second): that changes nothing, and is seen under the shared lock, so the requests
	// of every client do not queue for the exclusive one twice each.
	r.mu.RLock()
	p, ok := r.pending[id]
	r.mu.RUnlock()
	if ok && (p == u || p.at.After(u.at)) {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok = r.pending[id]
	if ok && p.at.After(u.at) {
		return
	}
	if !ok && len(r.pending) >= useMaxTracked {
		// Only authenticated keys and existing roles get here, so this takes more live keys than the
		// bound; losing a last-use update is better than unbounded memory.
		return
	}
	r.pending[id] = u
}

// latest returns the pending (not yet written, or being written) use of id.
func (r *useRecorder) latest(id useID) (use, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	u, ok := r.pending[id]
	return u, ok
}

// forget drops what is known of id (a deleted key).
func (r *useRecorder) forget(id useID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.pending, id)
	delete(r.written, id)
}

// pendingUse is an entry chosen for writing.
type pendingUse struct {
	id useID
	u  use
}

// due returns the pending uses to write at now: those whose key was not written within useWriteInterval,
// or every one when all is set. They stay pending (so reads still see them) until written.
func (r *useRecorder) due(now time.Time, all bool) []pendingUse {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []pendingUse
	for id, u := range r.pending {
		if w, ok := r.written[id]; !all && ok && now.Sub(w) < useWriteInterval && !now.Before(w) {
			continue
		}
		out = append(out, pendingUse{id, u})
	}
	return out
}

// done marks entries written at now: each leaves the pending set unless a later use came meanwhile.
func (r *useRecorder) done(batch []pendingUse, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.written)+len(batch) > useMaxTracked {
		// Forgetting write times only costs an earlier write per key; it bounds the map without an LRU.
		clear(r.written)
	}
	for _, p := range batch {
		if cur, ok := r.pending[p.id]; ok && cur == p.u {
			delete(r.pending, p.id)
		}
		r.written[p.id] = now
	}
}

// RecordAccessKeyUse notes that keyID signed a request to service (signing name, e.g. "iam", "sts") in
// region at t. The server calls it on every request a long-term key signs; it only touches memory (see
// useFlushInterval), so it never blocks on the store. It returns no error today; the signature leaves
// room for a recorder that can fail.
func (s *Service) RecordAccessKeyUse(_ context.Context, keyID, service, region string, t time.Time) error {
	s.uses.record(keyUseID(keyID), use{at: t.UTC().Truncate(time.Second), service: service, region: region})
	return nil
}

// RecordRoleUse notes that roleName of account was assumed at t through STS in region (RoleLastUsed). STS
// calls it on every successful AssumeRole*; like RecordAccessKeyUse it only touches memory, and a role
// deleted before the flush is skipped.
func (s *Service) RecordRoleUse(_ context.Context, account, roleName, region string, t time.Time) error {
	s.uses.record(roleUseID(account, roleName), use{at: t.UTC().Truncate(time.Second), service: "sts", region: region})
	return nil
}

// RecordServiceAccess notes that the caller (a user, or a role through one of its sessions) made an
// authenticated request to action of service (namespace, e.g. "iam") in region at t, for access advisor.
// Root and federated users are not IAM entities access advisor reports on, so they record nothing. Like
// RecordAccessKeyUse it only touches memory.
func (s *Service) RecordServiceAccess(_ context.Context, c *reqctx.Caller, service, action, region string, t time.Time) {
	var kind useKind
	switch c.Kind {
	case reqctx.CallerUser:
		kind = useOfServiceByUser
	case reqctx.CallerAssumedRole:
		kind = useOfServiceByRole
	default:
		return
	}
	id := useID{kind: kind, account: c.AccountID, name: c.PrincipalID, ns: service, action: action}
	s.uses.record(id, use{at: t.UTC().Truncate(time.Second), service: service, region: region})
}

// accessOwner is a user or role by unique ID.
type accessOwner struct {
	kind storage.OwnerKind
	id   string
}

// pendingServiceAccess returns the accesses of account's users and roles noted on this node but not yet
// written, by owner kind and unique ID, in one pass over the pending uses.
func (s *Service) pendingServiceAccess(account string) map[accessOwner][]storage.ServiceAccess {
	s.uses.mu.Lock()
	defer s.uses.mu.Unlock()
	out := map[accessOwner][]storage.ServiceAccess{}
	for id, u := range s.uses.pending {
		if (id.kind != useOfServiceByUser && id.kind != useOfServiceByRole) || id.account != account {
			continue
		}
		o := accessOwner{kind: storage.OwnerUser, id: id.name}
		if id.kind == useOfServiceByRole {
			o.kind = storage.OwnerRole
		}
		out[o] = append(out[o], storage.ServiceAccess{Kind: o.kind, OwnerID: id.name, Namespace: id.ns, Action: id.action, At: u.at, Region: u.region})
	}
	return out
}

// overlayRoleUse puts a use of r noted on this node but not yet written into r (GetRole).
func (s *Service) overlayRoleUse(r *storage.Role) {
	if u, ok := s.uses.latest(roleUseID(r.AccountID, r.Name)); ok && !u.at.Before(r.LastUsedAt) {
		r.LastUsedAt, r.LastUsedRegion = u.at, u.region
	}
}

// overlayKeyUse is the same for an access key (GetAccessKeyLastUsed).
func (s *Service) overlayKeyUse(k *storage.AccessKey) {
	if u, ok := s.uses.latest(keyUseID(k.ID)); ok && !u.at.Before(k.LastUsed.Date) {
		k.LastUsed = storage.AccessKeyLastUsed{Date: u.at, Service: u.service, Region: u.region}
	}
}

// RunUseFlusher writes pending key and role uses every useFlushInterval until ctx ends. Call FlushUses
// after it has stopped (before closing the store) so that the last uses are not lost.
func (s *Service) RunUseFlusher(ctx context.Context) {
	t := time.NewTicker(useFlushInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.flushUses(ctx, false); err != nil && ctx.Err() == nil {
				s.log.WarnContext(ctx, "recording access key and role use", "err", err)
			}
		}
	}
}

// FlushUses writes every pending key and role use now, whatever the per-key interval (at shutdown, and
// before reports that read last use from the store).
func (s *Service) FlushUses(ctx context.Context) error { return s.flushUses(ctx, true) }

func (s *Service) flushUses(ctx context.Context, all bool) error {
	s.uses.flushMu.Lock()
	defer s.uses.flushMu.Unlock()
	batch := s.uses.due(s.now(), all)
	for len(batch) > 0 {
		part := batch[:min(len(batch), useFlushBatch)]
		batch = batch[len(part):]
		err := s.store.Update(ctx, func(tx storage.Tx) error {
			for _, p := range part {
				var err error
				switch p.id.kind {
				case useOfKey:
					err = tx.SetAccessKeyLastUsed(ctx, p.id.name, storage.AccessKeyLastUsed{Date: p.u.at, Service: p.u.service, Region: p.u.region})
				case useOfRole:
					err = tx.SetRoleLastUsed(ctx, p.id.account, p.id.name, p.u.at, p.u.region)
				case useOfServiceByUser, useOfServiceByRole:
					kind := storage.OwnerUser
					if p.id.kind == useOfServiceByRole {
						kind = storage.OwnerRole
					}
					err = tx.RecordServiceAccess(ctx, p.id.account, storage.ServiceAccess{Kind: kind, OwnerID: p.id.name,
						Namespace: p.id.ns, Action: p.id.action, At: p.u.at, Region: p.u.region})
				}
				if err != nil && !errors.Is(err, storage.ErrNotFound) { // deleted meanwhile: nothing to record
					return err
				}
			}
			return nil
		})
		if err != nil {
			// The entries stay pending: the next flush tries again.
			return fmt.Errorf("writing %d last uses: %w", len(part)+len(batch), err)
		}
		s.uses.done(part, s.now())
	}
	return nil
}
