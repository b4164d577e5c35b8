package regions

import (
	"regexp"
	"slices"
	"testing"
)

func TestAWSDefaultAndOptInRegions(t *testing.T) {
	wantDefault := []string{
		"ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
		"ca-central-1", "eu-central-1", "eu-north-1", "eu-west-1", "eu-west-2", "eu-west-3", "sa-east-1",
		"us-east-1", "us-east-2", "us-west-1", "us-west-2",
	}
	wantOptIn := []string{
		"af-south-1", "ap-east-1", "ap-east-2", "ap-south-2", "ap-southeast-3", "ap-southeast-4",
		"ap-southeast-5", "ap-southeast-6", "ap-southeast-7", "ca-west-1", "eu-central-2", "eu-south-1",
		"eu-south-2", "il-central-1", "me-central-1", "me-south-1", "mx-central-1",
	}
	p, ok := Partition("aws")
	if !ok {
		t.Fatal("no aws partition")
	}
	var gotDefault, gotOptIn []string
	for _, r := range p.Regions {
		if r.OptIn {
			gotOptIn = append(gotOptIn, r.Name)
		} else {
			gotDefault = append(gotDefault, r.Name)
		}
	}
	if !slices.Equal(gotDefault, wantDefault) {
		t.Errorf("default regions = %v (%d), want %v (%d)", gotDefault, len(gotDefault), wantDefault, len(wantDefault))
	}
	// botocore may add regions after this test was written; every later one is opt-in, so only check
	// that the known ones are there.
	for _, name := range wantOptIn {
		if !slices.Contains(gotOptIn, name) {
			t.Errorf("%s is not an opt-in region of aws", name)
		}
	}
	if len(gotOptIn) < 17 {
		t.Errorf("%d opt-in regions, want at least 17", len(gotOptIn))
	}
}

func TestPartitions(t *testing.T) {
	want := []string{"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}
	for _, id := range want {
		p, ok := Partition(id)
		if !ok {
			t.Errorf("partition %s missing", id)
			continue
		}
		if len(p.Regions) == 0 || p.DNSSuffix == "" || p.GlobalRegion == "" {
			t.Errorf("partition %s incomplete: %+v", id, p)
		}
		re := regexp.MustCompile(p.RegionRegex)
		for _, r := range p.Regions {
			if !re.MatchString(r.Name) {
				t.Errorf("%s does not match %s's regex %s", r.Name, id, p.RegionRegex)
			}
			if r.Partition != id || PartitionOf(r.Name) != id {
				t.Errorf("%s: partition %q/%q, want %s", r.Name, r.Partition, PartitionOf(r.Name), id)
			}
			if id != "aws" && r.OptIn {
				t.Errorf("%s in %s is opt-in; only aws has opt-in regions", r.Name, id)
			}
		}
	}
	if _, ok := Partition("aws-mars"); ok {
		t.Error("unknown partition found")
	}
	if n := len(partitions); n < len(want) {
		t.Errorf("%d partitions, want at least %d", n, len(want))
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		name, partition, description string
		optIn                        bool
	}{
		{"us-east-1", "aws", "US East (N. Virginia)", false},
		{"af-south-1", "aws", "Africa (Cape Town)", true},
		{"cn-north-1", "aws-cn", "China (Beijing)", false},
		{"us-gov-west-1", "aws-us-gov", "AWS GovCloud (US-West)", false},
		{"eusc-de-east-1", "aws-eusc", "", false},
	}
	for _, tt := range tests {
		r, ok := Lookup(tt.name)
		if !ok {
			t.Errorf("Lookup(%s) not found", tt.name)
			continue
		}
		if r.Name != tt.name || r.Partition != tt.partition || r.OptIn != tt.optIn {
			t.Errorf("Lookup(%s) = %+v", tt.name, r)
		}
		if tt.description != "" && r.Description != tt.description {
			t.Errorf("Lookup(%s).Description = %q, want %q", tt.name, r.Description, tt.description)
		}
	}
	for _, bad := range []string{"", "aws-global", "us-east-9", "US-EAST-1"} {
		if _, ok := Lookup(bad); ok {
			t.Errorf("Lookup(%q) found", bad)
		}
		if PartitionOf(bad) != "" {
			t.Errorf("PartitionOf(%q) = %q", bad, PartitionOf(bad))
		}
	}
	if n := len(byRegion); n < 34+2+2 {
		t.Errorf("%d regions", n)
	}
}

func TestGlobalRegion(t *testing.T) {
	for partition, want := range map[string]string{
		"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1", "aws-iso": "us-iso-east-1",
		"aws-iso-b": "us-isob-east-1", "aws-iso-f": "us-isof-south-1", "aws-iso-e": "eu-isoe-west-1",
		"aws-eusc": "eusc-de-east-1", "nope": "",
	} {
		if got := GlobalRegion(partition); got != want {
			t.Errorf("GlobalRegion(%s) = %q, want %q", partition, got, want)
		}
	}
}

func TestParseHost(t *testing.T) {
	tests := []struct {
		host string
		want HostInfo
	}{
		{"sts.amazonaws.com", HostInfo{Service: "sts", Region: "us-east-1", Partition: "aws", Global: true}},
		{"STS.amazonaws.com.:443", HostInfo{Service: "sts", Region: "us-east-1", Partition: "aws", Global: true}},
		{"sts.us-east-1.amazonaws.com", HostInfo{Service: "sts", Region: "us-east-1", Partition: "aws"}},
		{"sts.af-south-1.amazonaws.com", HostInfo{Service: "sts", Region: "af-south-1", Partition: "aws"}},
		{"sts-fips.us-west-2.amazonaws.com", HostInfo{Service: "sts", Region: "us-west-2", Partition: "aws", FIPS: true}},
		{"sts.eu-west-1.api.aws", HostInfo{Service: "sts", Region: "eu-west-1", Partition: "aws", DualStack: true}},
		{"iam.amazonaws.com", HostInfo{Service: "iam", Region: "us-east-1", Partition: "aws", Global: true}},
		{"iam-fips.amazonaws.com", HostInfo{Service: "iam", Region: "us-east-1", Partition: "aws", Global: true, FIPS: true}},
		{"account.us-east-1.amazonaws.com", HostInfo{Service: "account", Region: "us-east-1", Partition: "aws", Global: true}},
		{"sts.cn-north-1.amazonaws.com.cn", HostInfo{Service: "sts", Region: "cn-north-1", Partition: "aws-cn"}},
		{"iam.cn-north-1.amazonaws.com.cn", HostInfo{Service: "iam", Region: "cn-north-1", Partition: "aws-cn", Global: true}},
		{"sts.us-gov-west-1.amazonaws.com", HostInfo{Service: "sts", Region: "us-gov-west-1", Partition: "aws-us-gov"}},
		{"iam.us-gov.amazonaws.com", HostInfo{Service: "iam", Region: "us-gov-west-1", Partition: "aws-us-gov", Global: true}},
		{"sts.eusc-de-east-1.amazonaws.eu", HostInfo{Service: "sts", Region: "eusc-de-east-1", Partition: "aws-eusc"}},
	}
	for _, tt := range tests {
		got, ok := ParseHost(tt.host)
		if !ok || got != tt.want {
			t.Errorf("ParseHost(%q) = %+v, %v; want %+v", tt.host, got, ok, tt.want)
		}
	}
	for _, bad := range []string{"", "localhost:8080", "127.0.0.1", "[::1]:443", "s3.amazonaws.com",
		"sts.us-east-9.amazonaws.com", "iam.us-east-1.amazonaws.com", "sts.amazonaws.com.evil.example"} {
		if got, ok := ParseHost(bad); ok {
			t.Errorf("ParseHost(%q) = %+v, want not found", bad, got)
		}
	}
}

// TestEveryRegionHasSTS checks the generated host table covers every region, so a request to any
// region's STS endpoint (sts.REGION.DNS-SUFFIX) is recognised.
func TestEveryRegionHasSTS(t *testing.T) {
	for _, p := range partitions {
		for _, r := range p.Regions {
			host := "sts." + r.Name + "." + p.DNSSuffix
			h, ok := ParseHost(host)
			if !ok || h.Service != "sts" || h.Region != r.Name || h.Partition != r.Partition || h.Global {
				t.Errorf("%s: ParseHost(%s) = %+v, %v", r.Name, host, h, ok)
			}
		}
	}
}

func FuzzParseHost(f *testing.F) {
	f.Add("sts.amazonaws.com:443")
	f.Add("[::1]:80")
	f.Fuzz(func(t *testing.T, host string) {
		ParseHost(host)
	})
}
