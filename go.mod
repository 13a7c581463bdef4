module github.com/posedistill/posedistill

go 1.27

require github.com/gomlx/gomlx v0.28.16 // indirect
