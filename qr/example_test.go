package qr_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/safetrace/safetrace/qr/core"
)

func ExampleVenue_URL() {
	v := &core.Venue{
		Name:     "Corner Bakery",
		Room:     "Front",
		Category: core.Retail,
		Risk:     core.Retail.DefaultRisk(),
		Stay:     core.Retail.DefaultStay(),
	}
	copy(v.Secret[:], "an example secret, use NewVenue!")
	fmt.Println(v.URL("https://safetrace.example"))
	// Output:
	// https://safetrace.example/#v1.AQJhbiBleGFtcGxlIHNlY3JldCwgdXNlIE5ld1ZlbnVlIQQDFA1Db3JuZXIgQmFrZXJ5BUZyb250
}

func ExampleParseURL() {
	v, err := core.ParseURL("https://safetrace.example/#v1.AQJhbiBleGFtcGxlIHNlY3JldCwgdXNlIE5ld1ZlbnVlIQQDFA1Db3JuZXIgQmFrZXJ5BUZyb250")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s, %s: %s, risk %d, stay %v\n", v.Name, v.Room, v.Category, v.Risk, v.Stay)

	// Any other QR text is not a venue; a damaged venue URL says why.
	_, err = core.ParseURL("https://example.com/menu")
	fmt.Println(errors.Is(err, core.ErrNotVenue))
	_, err = core.ParseURL("#v1.AQJhbiBleGFtcGxl")
	fmt.Println(err)
	_, err = core.ParseURL("#v9.AQ")
	fmt.Println(err)
	// Output:
	// Corner Bakery, Front: retail, risk 3, stay 20m0s
	// true
	// qr: payload truncated in secret
	// qr: unknown URL version "v9"
}

func ExampleNewVenue() {
	v, err := core.NewVenue("Hall 3", core.Event)
	if err != nil {
		fmt.Println(err)
		return
	}
	v.ValidFrom = time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC)
	v.ValidUntil = v.ValidFrom.Add(3 * 24 * time.Hour)
	fmt.Println(v.Category, v.Risk, v.Stay, v.ValidAt(v.ValidFrom.Add(time.Hour)))
	_, err = core.NewVenue("", core.Event)
	fmt.Println(err)
	// Output:
	// event 8 3h0m0s true
	// qr: venue name is empty
}
