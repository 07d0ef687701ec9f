module github.com/safetrace/safetrace

go 1.26.0
