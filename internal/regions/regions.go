// Package regions is the catalogue of AWS partitions and regions, generated from botocore's endpoints
// data: which regions exist, which partition each belongs to, which are opt-in, and which host names
// reach the IAM, STS, Account and CloudTrail endpoints (so the server can tell the STS global endpoint
// from a regional one).
package regions

//go:generate go run ./gen -data data -out zz_generated.go

import (
	"net"
	"strings"
)

// Region is one AWS region.
type Region struct {
	Name        string // us-east-1
	Partition   string // aws
	Description string // US East (N. Virginia)
	// OptIn is true for regions an account must enable before use (in aws, those launched after March
	// 20, 2019). Regions that are not opt-in are enabled by default and cannot be disabled.
	OptIn bool
}

// PartitionInfo describes one partition (aws, aws-cn, aws-us-gov, …).
type PartitionInfo struct {
	ID                 string // aws, aws-cn, …: the partition of ARNs
	Name               string // AWS Standard
	DNSSuffix          string // amazonaws.com
	DualStackDNSSuffix string // api.aws
	RegionRegex        string // regular expression region names of the partition match
	// GlobalRegion is the region requests to the partition's global endpoints are signed for and the
	// region the STS global endpoint issues from: us-east-1, cn-north-1, us-gov-west-1, …
	GlobalRegion string
	// IAMHost, STSGlobalHost and AccountHost are the partition's global endpoints; empty when the
	// partition has none (only aws has an STS global endpoint).
	IAMHost       string
	STSGlobalHost string
	AccountHost   string
	// AccountRegion is the region Account API requests are signed for ("" without an Account endpoint).
	AccountRegion string
	Regions       []Region // sorted by name
}

// HostInfo is what a host name says about the endpoint a request reached.
type HostInfo struct {
	Service   string // iam, sts, account or cloudtrail
	Region    string // the signing region: us-east-1 for sts.amazonaws.com and iam.amazonaws.com
	Partition string
	// Global is true for a service's partition-wide endpoint (sts.amazonaws.com, iam.amazonaws.com,
	// account.us-east-1.amazonaws.com), false for regional ones (sts.us-east-1.amazonaws.com).
	Global    bool
	FIPS      bool
	DualStack bool
}

var (
	byRegion    = map[string]Region{}
	byPartition = map[string]*PartitionInfo{}
)

func init() {
	for i := range partitions {
		p := &partitions[i]
		byPartition[p.ID] = p
		for _, r := range p.Regions {
			byRegion[r.Name] = r
		}
	}
}

// Lookup returns the region with the given name.
func Lookup(name string) (Region, bool) {
	r, ok := byRegion[name]
	return r, ok
}

// Partition returns the partition with the given ID. Its Regions slice is shared: do not modify it.
func Partition(id string) (PartitionInfo, bool) {
	p, ok := byPartition[id]
	if !ok {
		return PartitionInfo{}, false
	}
	return *p, true
}

// PartitionOf returns the partition ID of a region, or "" for an unknown region.
func PartitionOf(region string) string {
	return byRegion[region].Partition
}

// GlobalRegion returns the region the global endpoints of a partition sign for and issue from
// (us-east-1 for aws, cn-north-1 for aws-cn, us-gov-west-1 for aws-us-gov, …), or "" for an unknown
// partition.
func GlobalRegion(partition string) string {
	if p, ok := byPartition[partition]; ok {
		return p.GlobalRegion
	}
	return ""
}

// maxHostLen bounds the work done on a Host header: DNS names are at most 253 octets, plus a port.
const maxHostLen = 253 + len(":65535")

// ParseHost recognises the AWS host name of an IAM, STS, Account or CloudTrail endpoint. The host may carry a
// port and a trailing dot and is matched case-insensitively. Host names AWS does not use (localhost,
// an IP address, a custom name) report false; the server then falls back to its configured default.
func ParseHost(host string) (HostInfo, bool) {
	if host == "" || len(host) > maxHostLen {
		return HostInfo{}, false
	}
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	h, ok := hosts[host]
	return h, ok
}
