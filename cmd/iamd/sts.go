package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/iamd/iamd/internal/auth"
	"github.com/iamd/iamd/internal/config"
	"github.com/iamd/iamd/internal/service/admin"
)

// stsCommand drives the admin API's STS regional activation, signed with the credentials of the
// environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), like the AWS CLI.
func stsCommand(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("sts: regions, activate REGION or deactivate REGION")
	}
	fs := flag.NewFlagSet("iamd sts "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	def := os.Getenv("IAMD_ENDPOINT")
	if def == "" {
		def = "http://" + config.DefaultListen
	}
	endpoint := fs.String("endpoint", def, "iamd endpoint URL (env IAMD_ENDPOINT)")
	cmd := args[0]
	rest := args[1:]
	var region string
	if cmd == "activate" || cmd == "deactivate" {
		if len(rest) == 0 || strings.HasPrefix(rest[0], "-") {
			return fmt.Errorf("sts %s: REGION is required", cmd)
		}
		region, rest = rest[0], rest[1:]
	}
	if err := fs.Parse(rest); err != nil {
		return err
	}
	base := strings.TrimSuffix(*endpoint, "/")
	var method, path string
	switch cmd {
	case "regions":
		method, path = http.MethodGet, "/iamd/admin/sts-regions"
	case "activate", "deactivate":
		method, path = http.MethodPost, "/iamd/admin/sts-regions/"+region+"/"+cmd
	default:
		return fmt.Errorf("sts: unknown command %q", cmd)
	}
	body, err := adminCall(context.Background(), method, base+path)
	if err != nil {
		return err
	}
	if cmd == "regions" {
		var list []admin.STSRegionStatus
		if err := json.Unmarshal(body, &list); err != nil {
			return fmt.Errorf("decoding the answer: %w", err)
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "REGION\tSTS\tCHANGEABLE\tOPT-IN STATUS")
		for _, r := range list {
			state := "inactive"
			if r.Active {
				state = "active"
			}
			fmt.Fprintf(tw, "%s\t%s\t%v\t%s\n", r.Region, state, r.Togglable, r.OptInState)
		}
		return tw.Flush()
	}
	var st admin.STSRegionStatus
	if err := json.Unmarshal(body, &st); err != nil {
		return fmt.Errorf("decoding the answer: %w", err)
	}
	state := "inactive"
	if st.Active {
		state = "active"
	}
	fmt.Fprintf(stdout, "STS in %s: %s\n", st.Region, state)
	return nil
}

// adminCall sends one SigV4-signed admin request and returns the body of a 200 answer.
func adminCall(ctx context.Context, method, url string) ([]byte, error) {
	id, secret := os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY")
	if id == "" || secret == "" {
		return nil, errors.New("set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (the account's root or an admin)")
	}
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return nil, err
	}
	empty := sha256.Sum256(nil)
	hash := hex.EncodeToString(empty[:])
	req.Header.Set("X-Amz-Content-Sha256", hash)
	creds := aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: os.Getenv("AWS_SESSION_TOKEN")}
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hash, auth.AdminService, "us-east-1", time.Now()); err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		var e struct{ Code, Message string }
		if json.Unmarshal(body, &e) == nil && e.Code != "" {
			return nil, fmt.Errorf("%s: %s", e.Code, e.Message)
		}
		return nil, fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return body, nil
}
