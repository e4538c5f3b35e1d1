package v1alpha1

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// The duration and quantity fields of both kinds decode whatever is
// stored. An object written before its validation rules existed (or with
// validation off) may hold "banana" where a duration belongs; with
// metav1.Duration or resource.Quantity that value fails to decode, and
// since a list is decoded as a whole, the operator's cache of that kind
// would stop syncing for every namespace. These types keep the text
// instead, and Problems() makes only that object Stalled with InvalidSpec.

// Duration is a length of time written as Go parses it ("5s", "1m30s").
// +kubebuilder:validation:Type=string
// +kubebuilder:validation:MaxLength=32
type Duration struct {
	// Duration is the parsed value; zero when the text does not parse.
	Duration time.Duration `json:"-"`
	// raw is the stored text when it does not parse, kept so that the
	// object is written back as it was.
	raw string `json:"-"`
}

// NewDuration returns d as a *Duration, for code that builds specs.
func NewDuration(d time.Duration) *Duration { return &Duration{Duration: d} }

// UnmarshalJSON never fails: text that is not a duration is kept for Err.
func (d *Duration) UnmarshalJSON(b []byte) error {
	d.Duration, d.raw = 0, string(b)
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return nil
	}
	if v, err := time.ParseDuration(s); err == nil {
		d.Duration, d.raw = v, ""
	}
	return nil
}

// MarshalJSON writes the duration, or the stored text it could not parse.
func (d Duration) MarshalJSON() ([]byte, error) {
	if d.raw != "" {
		return []byte(d.raw), nil
	}
	return json.Marshal(d.Duration.String())
}

// ToUnstructured is what the unstructured converter writes.
func (d Duration) ToUnstructured() any {
	if d.raw != "" {
		var v any
		if json.Unmarshal([]byte(d.raw), &v) == nil {
			return v
		}
		return d.raw
	}
	return d.Duration.String()
}

// Err says why the stored text is not a duration; nil when it is one.
func (d *Duration) Err() error {
	if d == nil || d.raw == "" {
		return nil
	}
	return fmt.Errorf("%s is not a duration (write it like 30s, 5m or 1h)", d.raw)
}

// Quantity is an amount of bytes written as Kubernetes quantities are
// ("10Gi", "512Mi", or a plain number). It is stored as an int-or-string,
// as resource.Quantity is, but decodes anything: see Err.
type Quantity intstr.IntOrString

// NewQuantity returns q as a *Quantity, for code that builds specs.
func NewQuantity(q resource.Quantity) *Quantity {
	return &Quantity{Type: intstr.String, StrVal: q.String()}
}

// UnmarshalJSON never fails: the text is kept and parsed by Value.
func (q *Quantity) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		*q = Quantity{Type: intstr.String, StrVal: s}
		return nil
	}
	// A number (or anything else) keeps its literal text; Type Int marks
	// it to be written back unquoted.
	*q = Quantity{Type: intstr.Int, StrVal: string(bytes.TrimSpace(b))}
	return nil
}

// MarshalJSON writes the value back as it was stored.
func (q Quantity) MarshalJSON() ([]byte, error) {
	if q.Type == intstr.Int {
		if q.StrVal == "" {
			return json.Marshal(q.IntVal)
		}
		return []byte(q.StrVal), nil
	}
	return json.Marshal(q.StrVal)
}

// ToUnstructured is what the unstructured converter writes.
func (q Quantity) ToUnstructured() any {
	b, _ := q.MarshalJSON()
	var v any
	if json.Unmarshal(b, &v) != nil {
		return q.StrVal
	}
	return v
}

// text is the quantity as written.
func (q *Quantity) text() string {
	if q.Type == intstr.Int && q.StrVal == "" {
		return fmt.Sprint(q.IntVal)
	}
	return q.StrVal
}

// Parse reads the quantity.
func (q *Quantity) Parse() (resource.Quantity, error) {
	v, err := resource.ParseQuantity(q.text())
	if err != nil {
		return v, fmt.Errorf("%s is not a quantity (write it like 512Mi, 10Gi or 1073741824)", q.text())
	}
	return v, nil
}

// Bytes is the quantity as a whole number of bytes, ok only when it parses
// to a value above zero that fits in an int64.
func (q *Quantity) Bytes() (n int64, ok bool) {
	if q == nil {
		return 0, false
	}
	v, err := q.Parse()
	if err != nil {
		return 0, false
	}
	n, ok = v.AsInt64()
	return n, ok && n > 0
}

// String is the quantity as written.
func (q *Quantity) String() string { return q.text() }
