package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
)

// op is one kind of request in a mix.
type op struct {
	name   string
	weight int
	root   bool // signed by the account's root instead of bench-user
	// fixed ops send the same request every time, so each client signs it once and replays it.
	fixed bool
	// write: the op changes state (on iamd, a durable commit before the answer).
	write bool
	build func(e *env, client, seq int) call
	// undo cleans up after the one-off check of an op that changes state (nil: nothing to undo).
	undo func(e *env, client, seq int) call
}

// mix is a workload: weighted random ops, or (sequence) the ops in order, again and again.
type mix struct {
	name, desc string
	read       bool // the p99 < 5 ms target applies
	sequence   bool
	ops        []op
}

func fixedOp(name string, weight int, build func(e *env) call) op {
	return op{name: name, weight: weight, fixed: true, build: func(e *env, _, _ int) call { return build(e) }}
}

var (
	opGetCallerIdentity = fixedOp("GetCallerIdentity", 1, func(*env) call { return stsCall("GetCallerIdentity") })
	opGetUser           = fixedOp("GetUser", 1, func(*env) call { return iamCall("GetUser", "UserName", benchUser) })
	opGetSessionToken   = fixedOp("GetSessionToken", 1, func(*env) call { return stsCall("GetSessionToken") })
	opAssumeRole        = fixedOp("AssumeRole", 1, func(e *env) call {
		return stsCall("AssumeRole", "RoleArn", e.roleARN, "RoleSessionName", "bench")
	})
	// opAssumeRoleWithWebIdentity is unsigned, as the SDKs send it: the token is the only proof.
	opAssumeRoleWithWebIdentity = fixedOp("AssumeRoleWithWebIdentity", 1, func(e *env) call {
		c := stsCall("AssumeRoleWithWebIdentity", "RoleArn", e.webRoleARN, "RoleSessionName", "bench", "WebIdentityToken", e.webToken)
		c.unsigned = true
		return c
	})
	opGetRole       = fixedOp("GetRole", 1, func(*env) call { return iamCall("GetRole", "RoleName", benchRole) })
	opListAttached  = fixedOp("ListAttachedUserPolicies", 1, func(*env) call { return iamCall("ListAttachedUserPolicies", "UserName", benchUser) })
	opListUsersPage = fixedOp("ListUsers", 1, func(*env) call { return iamCall("ListUsers", "MaxItems", "20") })
	opTagUser       = writeOp(fixedOp("TagUser", 1, func(*env) call {
		return iamCall("TagUser", "UserName", benchUser, "Tags.member.1.Key", "team", "Tags.member.1.Value", "bench")
	}))
	opUntagUser       = writeOp(fixedOp("UntagUser", 1, func(*env) call { return iamCall("UntagUser", "UserName", benchUser, "TagKeys.member.1", "team") }))
	churnName         = func(client, seq int) string { return "churn-" + strconv.Itoa(client) + "-" + strconv.Itoa(seq) }
	opCreateChurnUser = op{name: "CreateUser", weight: 1, write: true, build: func(_ *env, client, seq int) call {
		return iamCall("CreateUser", "UserName", churnName(client, seq))
	}}
	opDeleteChurnUser = op{name: "DeleteUser", weight: 1, write: true, build: func(_ *env, client, seq int) call {
		return iamCall("DeleteUser", "UserName", churnName(client, seq))
	}}
)

func weighted(o op, w int) op { o.weight = w; return o }

func writeOp(o op) op { o.write = true; return o }

// mixes are the workloads of the performance targets (docs/benchmarks.md), in the order they run and are reported. Every request is made by
// bench-user, an IAM user with an attached policy, so iamd enforces policies on each of them.
var mixes = []mix{
	{name: "gci", desc: "GetCallerIdentity", read: true, ops: []op{opGetCallerIdentity}},
	{name: "getuser", desc: "GetUser (policy enforced)", read: true, ops: []op{opGetUser}},
	{name: "createdelete", desc: "CreateUser+DeleteUser (durable)", sequence: true, ops: []op{opCreateChurnUser, opDeleteChurnUser}},
	{name: "sessiontoken", desc: "GetSessionToken", ops: []op{opGetSessionToken}},
	{name: "assumerole", desc: "AssumeRole (trust + seal)", ops: []op{opAssumeRole}},
	{name: "webidentity", desc: "AssumeRoleWithWebIdentity (JWT verify, cached keys)", ops: []op{opAssumeRoleWithWebIdentity}},
	{name: "mix", desc: "realistic mix, 90% reads", read: true, ops: []op{
		weighted(opGetCallerIdentity, 25), weighted(opGetUser, 25), weighted(opGetRole, 10),
		weighted(opListAttached, 10), weighted(opListUsersPage, 10), weighted(opAssumeRole, 10),
		weighted(opTagUser, 5), weighted(opUntagUser, 5),
	}},
}

func mixByName(name string) (*mix, bool) {
	for i := range mixes {
		if mixes[i].name == name {
			return &mixes[i], true
		}
	}
	return nil, false
}

// sources gives each of n clients its request stream for mix m against e. perClient > 0 bounds how many
// requests each client sends. round separates the names of successive runs of the churn mix.
func (m *mix) sources(e *env, n, perClient, round int) []source {
	total := 0
	for _, o := range m.ops {
		total += o.weight
	}
	out := make([]source, n)
	for client := range n {
		pre := make([]*presigned, len(m.ops))
		for i, o := range m.ops {
			if o.fixed {
				pre[i] = &presigned{c: o.build(e, client, 0)}
			}
		}
		rng := rand.New(rand.NewPCG(uint64(client), uint64(round)))
		id := round*10000 + client // unique churn names per run and client
		sent := 0
		out[client] = func(stopping bool) ([]byte, bool, bool, error) {
			boundary := !m.sequence || sent%len(m.ops) == 0
			if boundary && (stopping || perClient > 0 && sent >= perClient) {
				return nil, false, false, nil
			}
			var i, seq int
			if m.sequence {
				i, seq = sent%len(m.ops), sent/len(m.ops)
			} else {
				pick := rng.IntN(total)
				for i = 0; pick >= m.ops[i].weight; i++ {
					pick -= m.ops[i].weight
				}
				seq = sent
			}
			sent++
			o := m.ops[i]
			s := e.user
			if o.root {
				s = e.root
			}
			if pre[i] != nil {
				w, err := pre[i].get(s)
				return w, o.write, true, err
			}
			w, err := s.sign(o.build(e, id, seq))
			return w, o.write, true, err
		}
	}
	return out
}

// workSources share a list of n calls among clients: each call is sent once, by whichever client is free.
func workSources(s *signer, n, clients int, build func(i int) call) []source {
	return workSourcesBy(n, clients, func(i int) (*signer, call) { return s, build(i) })
}

// workSourcesBy is workSources with a signer per request (requests of many accounts).
func workSourcesBy(n, clients int, build func(i int) (*signer, call)) []source {
	var next atomic.Int64
	out := make([]source, clients)
	for c := range clients {
		out[c] = func(stopping bool) ([]byte, bool, bool, error) {
			if stopping {
				return nil, false, false, nil
			}
			i := int(next.Add(1) - 1)
			if i >= n {
				return nil, false, false, nil
			}
			s, call := build(i)
			w, err := s.sign(call)
			return w, false, true, err
		}
	}
	return out
}

// cyclingSources give each client its own set of pre-signed calls, sent round and round (reads spread
// over many entities).
func cyclingSources(s *signer, clients, perClient int, build func(rng *rand.Rand) call) []source {
	out := make([]source, clients)
	for c := range clients {
		rng := rand.New(rand.NewPCG(uint64(c), 7))
		pre := make([]*presigned, perClient)
		for i := range pre {
			pre[i] = &presigned{c: build(rng)}
		}
		n := 0
		out[c] = func(stopping bool) ([]byte, bool, bool, error) {
			if stopping {
				return nil, false, false, nil
			}
			p := pre[n%len(pre)]
			n++
			w, err := p.get(s)
			return w, false, true, err
		}
	}
	return out
}

func userName(i int) string { return fmt.Sprintf("u%05d", i) }
