// Package api holds the stripped AWS service models iamd is generated from, and the go:generate lines that
// produce the typed packages iamapi, stsapi, accountapi and cloudtrailapi.
//
// The models are refreshed from botocore with
//
//	go run ../protocol/gen -strip $BOTOCORE/data/iam/2010-05-08/service-2.json.gz -o models/iam.json
//	go run ../protocol/gen -strip $BOTOCORE/data/sts/2011-06-15/service-2.json.gz -o models/sts.json
//	go run ../protocol/gen -strip $BOTOCORE/data/account/2021-02-01/service-2.json.gz -o models/account.json
//	go run ../protocol/gen -strip $BOTOCORE/data/cloudtrail/2013-11-01/service-2.json.gz -o models/cloudtrail.json
//
// where $BOTOCORE is `python3 -c "import botocore,os;print(os.path.dirname(botocore.__file__))"`.
package api

//go:generate go run ../protocol/gen -model models/iam.json -pkg iamapi -o iamapi/api.go
//go:generate go run ../protocol/gen -model models/sts.json -pkg stsapi -o stsapi/api.go
//go:generate go run ../protocol/gen -model models/account.json -pkg accountapi -o accountapi/api.go
//go:generate go run ../protocol/gen -model models/cloudtrail.json -pkg cloudtrailapi -o cloudtrailapi/api.go
