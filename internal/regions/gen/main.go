// Command gen generates the regions catalogue (zz_generated.go) from stripped copies of botocore's
// data/endpoints.json and data/partitions.json kept under internal/regions/data.
//
// Refresh the stripped copies from an installed botocore, then regenerate:
//
//	go run ./internal/regions/gen -botocore "$(python3 -c 'import botocore,os;print(os.path.dirname(botocore.__file__))')/data" -data internal/regions/data
//	go generate ./internal/regions
//
// botocore does not say which regions are opt-in; that is data kept here (defaultRegions).
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"go/format"
	"log"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// defaultRegions lists, per partition, the regions enabled by default for every account. In the aws
// partition these are the regions launched before March 20, 2019; every later region is opt-in. Other
// partitions have no opt-in regions: a partition missing here has all its regions enabled by default.
var defaultRegions = map[string][]string{
	"aws": {
		"us-east-1", "us-east-2", "us-west-1", "us-west-2",
		"ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2",
		"ca-central-1",
		"eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1",
		"sa-east-1",
	},
}

// services are the endpoints iamd serves; everything else is stripped from the data.
var services = []string{"iam", "sts", "account", "cloudtrail"}

type variant struct {
	DNSSuffix string   `json:"dnsSuffix,omitempty"`
	Hostname  string   `json:"hostname,omitempty"`
	Tags      []string `json:"tags"`
}

type endpoint struct {
	Hostname        string `json:"hostname,omitempty"`
	CredentialScope *struct {
		Region string `json:"region,omitempty"`
	} `json:"credentialScope,omitempty"`
	Deprecated bool      `json:"deprecated,omitempty"`
	Variants   []variant `json:"variants,omitempty"`
}

type service struct {
	Defaults          *endpoint           `json:"defaults,omitempty"`
	Endpoints         map[string]endpoint `json:"endpoints"`
	IsRegionalized    *bool               `json:"isRegionalized,omitempty"`
	PartitionEndpoint string              `json:"partitionEndpoint,omitempty"`
}

type epPartition struct {
	Partition     string `json:"partition"`
	PartitionName string `json:"partitionName"`
	DNSSuffix     string `json:"dnsSuffix"`
	RegionRegex   string `json:"regionRegex"`
	Regions       map[string]struct {
		Description string `json:"description"`
	} `json:"regions"`
	Defaults endpoint           `json:"defaults"`
	Services map[string]service `json:"services"`
}

type endpointsFile struct {
	Partitions []epPartition `json:"partitions"`
	Version    int           `json:"version"`
}

type partitionsFile struct {
	Partitions []struct {
		ID      string `json:"id"`
		Outputs struct {
			DNSSuffix            string `json:"dnsSuffix"`
			DualStackDNSSuffix   string `json:"dualStackDnsSuffix"`
			ImplicitGlobalRegion string `json:"implicitGlobalRegion"`
			Name                 string `json:"name"`
		} `json:"outputs"`
		RegionRegex string                     `json:"regionRegex"`
		Regions     map[string]json.RawMessage `json:"regions"`
	} `json:"partitions"`
	Version string `json:"version"`
}

func main() {
	botocore := flag.String("botocore", "", "botocore data directory: refresh the stripped copies in -data from it and exit")
	dataDir := flag.String("data", "data", "directory holding the stripped endpoints.json and partitions.json")
	out := flag.String("out", "zz_generated.go", "Go file to write")
	flag.Parse()
	if *botocore != "" {
		if err := strip(*botocore, *dataDir); err != nil {
			log.Fatal(err)
		}
		return
	}
	src, err := generate(*dataDir)
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		log.Fatal(err)
	}
}

// strip copies botocore's endpoint data keeping only what the catalogue needs, so the committed input
// is small and its diffs readable.
func strip(botocore, dataDir string) error {
	var ep endpointsFile
	if err := readJSON(filepath.Join(botocore, "endpoints.json"), &ep); err != nil {
		return err
	}
	for i := range ep.Partitions {
		p := &ep.Partitions[i]
		kept := map[string]service{}
		for _, s := range services {
			if svc, ok := p.Services[s]; ok {
				kept[s] = svc
			}
		}
		p.Services = kept
	}
	if err := writeJSON(filepath.Join(dataDir, "endpoints.json"), ep); err != nil {
		return err
	}
	var pf partitionsFile
	if err := readJSON(filepath.Join(botocore, "partitions.json"), &pf); err != nil {
		return err
	}
	return writeJSON(filepath.Join(dataDir, "partitions.json"), pf)
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

type genRegion struct {
	Name, Description string
	OptIn             bool
}

type genHost struct {
	Host, Service, Region, Partition string
	Global, FIPS, DualStack          bool
}

type genPartition struct {
	ID, Name, DNSSuffix, DualStackDNSSuffix, RegionRegex, GlobalRegion string
	IAMHost, STSGlobalHost, AccountHost, AccountRegion                 string
	Regions                                                            []genRegion
}

func generate(dataDir string) ([]byte, error) {
	var ep endpointsFile
	if err := readJSON(filepath.Join(dataDir, "endpoints.json"), &ep); err != nil {
		return nil, err
	}
	var pf partitionsFile
	if err := readJSON(filepath.Join(dataDir, "partitions.json"), &pf); err != nil {
		return nil, err
	}
	outputs := map[string]int{}
	for i, p := range pf.Partitions {
		outputs[p.ID] = i
	}

	var parts []genPartition
	var hosts []genHost
	seenHost := map[string]bool{}
	addHost := func(h genHost) error {
		h.Host = strings.ToLower(h.Host)
		if seenHost[h.Host] {
			return nil // deprecated aliases repeat hostnames already listed as variants
		}
		seenHost[h.Host] = true
		hosts = append(hosts, h)
		return nil
	}
	for _, p := range ep.Partitions {
		pi, ok := outputs[p.Partition]
		if !ok {
			return nil, fmt.Errorf("partition %s missing from partitions.json", p.Partition)
		}
		out := pf.Partitions[pi].Outputs
		if _, err := regexp.Compile(p.RegionRegex); err != nil {
			return nil, fmt.Errorf("partition %s: %w", p.Partition, err)
		}
		gp := genPartition{
			ID: p.Partition, Name: p.PartitionName, DNSSuffix: p.DNSSuffix,
			DualStackDNSSuffix: out.DualStackDNSSuffix, RegionRegex: p.RegionRegex,
		}
		defaults := map[string]bool{}
		if list, ok := defaultRegions[p.Partition]; ok {
			for _, r := range list {
				if _, ok := p.Regions[r]; !ok {
					return nil, fmt.Errorf("default region %s not in partition %s", r, p.Partition)
				}
				defaults[r] = true
			}
		}
		for name, r := range p.Regions {
			_, isDefaultListed := defaultRegions[p.Partition]
			gp.Regions = append(gp.Regions, genRegion{
				Name: name, Description: r.Description, OptIn: isDefaultListed && !defaults[name],
			})
		}
		sort.Slice(gp.Regions, func(i, j int) bool { return gp.Regions[i].Name < gp.Regions[j].Name })
		// partitions.json also lists pseudo regions (aws-global); the real ones must agree.
		for name := range pf.Partitions[pi].Regions {
			if strings.HasSuffix(name, "-global") {
				continue
			}
			if _, ok := p.Regions[name]; !ok {
				return nil, fmt.Errorf("region %s in partitions.json but not endpoints.json", name)
			}
		}

		for _, sname := range services {
			svc, ok := p.Services[sname]
			if !ok {
				continue
			}
			keys := make([]string, 0, len(svc.Endpoints))
			for k := range svc.Endpoints {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, key := range keys {
				e := svc.Endpoints[key]
				if e.Deprecated {
					continue
				}
				region := key
				if e.CredentialScope != nil && e.CredentialScope.Region != "" {
					region = e.CredentialScope.Region
				}
				if _, ok := p.Regions[region]; !ok {
					return nil, fmt.Errorf("%s endpoint %s: region %s not in partition %s", sname, key, region, p.Partition)
				}
				global := key == svc.PartitionEndpoint
				hostname := e.Hostname
				if hostname == "" {
					tmpl := p.Defaults.Hostname
					if svc.Defaults != nil && svc.Defaults.Hostname != "" {
						tmpl = svc.Defaults.Hostname
					}
					hostname = expand(tmpl, sname, key, p.DNSSuffix)
				}
				base := genHost{Service: sname, Region: region, Partition: p.Partition, Global: global}
				h := base
				h.Host = hostname
				if err := addHost(h); err != nil {
					return nil, err
				}
				for _, tags := range [][]string{{"fips"}, {"dualstack"}, {"dualstack", "fips"}} {
					v, ok := pickVariant(tags, e, svc, p, global)
					if !ok {
						continue
					}
					suffix := p.DNSSuffix
					if v.DNSSuffix != "" {
						suffix = v.DNSSuffix
					}
					h := base
					h.Host = expand(v.Hostname, sname, key, suffix)
					h.FIPS = contains(tags, "fips")
					h.DualStack = contains(tags, "dualstack")
					if err := addHost(h); err != nil {
						return nil, err
					}
				}
				if global {
					switch sname {
					case "iam":
						gp.IAMHost = hostname
						gp.GlobalRegion = region
					case "sts":
						gp.STSGlobalHost = hostname
					case "account":
						gp.AccountHost = hostname
						gp.AccountRegion = region
					}
				}
			}
		}
		if gp.GlobalRegion == "" {
			// No global IAM endpoint in botocore for this partition: sign global requests in the region
			// the SDKs fall back to.
			gp.GlobalRegion = out.ImplicitGlobalRegion
		}
		parts = append(parts, gp)
	}
	sort.Slice(hosts, func(i, j int) bool { return hosts[i].Host < hosts[j].Host })

	var buf bytes.Buffer
	fmt.Fprintf(&buf, "// Code generated by internal/regions/gen from botocore endpoints data (version %d, partitions %s). DO NOT EDIT.\n\n", ep.Version, pf.Version)
	buf.WriteString("package regions\n\n")
	buf.WriteString("var partitions = []PartitionInfo{\n")
	for _, p := range parts {
		fmt.Fprintf(&buf, "\t{\n\t\tID: %q, Name: %q, DNSSuffix: %q, DualStackDNSSuffix: %q,\n", p.ID, p.Name, p.DNSSuffix, p.DualStackDNSSuffix)
		fmt.Fprintf(&buf, "\t\tRegionRegex: %q, GlobalRegion: %q,\n", p.RegionRegex, p.GlobalRegion)
		fmt.Fprintf(&buf, "\t\tIAMHost: %q, STSGlobalHost: %q, AccountHost: %q, AccountRegion: %q,\n", p.IAMHost, p.STSGlobalHost, p.AccountHost, p.AccountRegion)
		buf.WriteString("\t\tRegions: []Region{\n")
		for _, r := range p.Regions {
			fmt.Fprintf(&buf, "\t\t\t{Name: %q, Partition: %q, Description: %q, OptIn: %v},\n", r.Name, p.ID, r.Description, r.OptIn)
		}
		buf.WriteString("\t\t},\n\t},\n")
	}
	buf.WriteString("}\n\n")
	buf.WriteString("var hosts = map[string]HostInfo{\n")
	for _, h := range hosts {
		fmt.Fprintf(&buf, "\t%q: {Service: %q, Region: %q, Partition: %q, Global: %v, FIPS: %v, DualStack: %v},\n",
			h.Host, h.Service, h.Region, h.Partition, h.Global, h.FIPS, h.DualStack)
	}
	buf.WriteString("}\n")
	return format.Source(buf.Bytes())
}

// pickVariant finds the hostname template for a variant (fips, dualstack) the way botocore does: the
// endpoint's own variants first, then the service defaults, then (for regional endpoints only) the
// partition defaults.
func pickVariant(tags []string, e endpoint, svc service, p epPartition, global bool) (variant, bool) {
	lists := [][]variant{e.Variants}
	if svc.Defaults != nil {
		lists = append(lists, svc.Defaults.Variants)
	}
	if !global {
		lists = append(lists, p.Defaults.Variants)
	}
	for _, list := range lists {
		for _, v := range list {
			if sameTags(v.Tags, tags) && v.Hostname != "" {
				return v, true
			}
		}
	}
	return variant{}, false
}

func sameTags(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for _, t := range a {
		if !contains(b, t) {
			return false
		}
	}
	return true
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func expand(tmpl, service, region, dnsSuffix string) string {
	r := strings.NewReplacer("{service}", service, "{region}", region, "{dnsSuffix}", dnsSuffix)
	return r.Replace(tmpl)
}
