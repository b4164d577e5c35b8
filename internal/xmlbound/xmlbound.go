// Package xmlbound checks the shape of an untrusted XML document before any tree is built from it: well
// formed, no document type declaration (so no entity expansion and no external entities, whatever the
// parser used next does with them), nesting and element count within the caller's bounds. The SAML
// metadata documents of IAM and the SAML responses of STS go through it.
package xmlbound

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Errors of Check.
var (
	ErrMalformed = errors.New("xmlbound: not well-formed XML")
	ErrDTD       = errors.New("xmlbound: document type declarations are not accepted")
	ErrTooLarge  = errors.New("xmlbound: document too deep or too large")
)

// Check streams doc once: well-formed XML with at least one element, no DTD, nesting within maxDepth, at
// most maxElements elements.
func Check(doc string, maxDepth, maxElements int) error {
	d := xml.NewDecoder(strings.NewReader(doc))
	d.Strict = true
	depth, elements := 0, 0
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: %w", ErrMalformed, err)
		}
		switch tok.(type) {
		case xml.StartElement:
			depth++
			elements++
			if depth > maxDepth || elements > maxElements {
				return ErrTooLarge
			}
		case xml.EndElement:
			depth--
		case xml.Directive:
			return ErrDTD
		}
	}
	if elements == 0 || depth != 0 {
		return ErrMalformed
	}
	return nil
}
