package h2spec

import (
	"encoding/xml"
	"os"
	"strings"
)

// junitReport is the part of h2spec's --junit-report file that Run reads:
// <testsuites><testsuite><testcase package classname> with a <failure>,
// <error> or <skipped> child, or none when the case passed. h2spec reports
// most failures as <error>.
type junitReport struct {
	Suites []struct {
		Cases []junitCase `xml:"testcase"`
	} `xml:"testsuite"`
}

type junitCase struct {
	Package   string     `xml:"package,attr"`
	ClassName string     `xml:"classname,attr"`
	Failure   *junitText `xml:"failure"`
	Error     *junitText `xml:"error"`
	Skipped   *junitText `xml:"skipped"`
}

type junitText struct {
	Text string `xml:",chardata"`
}

// name is the case's section id and description.
func (c *junitCase) name() string { return c.Package + ": " + c.ClassName }

// detail is what h2spec expected and saw.
func (c *junitCase) detail() string {
	var parts []string
	for _, x := range []*junitText{c.Failure, c.Error} {
		if x != nil {
			parts = append(parts, strings.TrimSpace(x.Text))
		}
	}
	return strings.Join(parts, "\n")
}

// parseReport reads the cases of a JUnit report, in order.
func parseReport(path string) ([]junitCase, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r junitReport
	if err := xml.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	var cases []junitCase
	for _, s := range r.Suites {
		cases = append(cases, s.Cases...)
	}
	return cases, nil
}
