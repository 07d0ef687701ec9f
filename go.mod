module github.com/safetrace/safetrace

go 1.26

require (
	github.com/go-pdf/fpdf v0.9.0
	github.com/makiuchi-d/gozxing v0.1.1
	github.com/rogpeppe/go-internal v1.16.0
	github.com/skip2/go-qrcode v0.0.0-20200617195104-da1b6568686e
	golang.org/x/image v0.30.0
)

require (
	golang.org/x/sys v0.45.0 // indirect
	golang.org/x/text v0.28.0 // indirect
	golang.org/x/tools v0.36.0 // indirect
	golang.org/x/xerrors v0.0.0-20200804184101-5ec99f83aff1 // indirect
)

require github.com/gtank/ristretto255 v0.2.0

require filippo.io/edwards25519 v1.1.0 // indirect

require go.etcd.io/bbolt v1.5.0

require github.com/gorilla/websocket v1.5.3
