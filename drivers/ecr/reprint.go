package ecr

// Reprint asks the terminal to print the last transaction's receipt again
// (no field). It starts no transaction: the terminal prints a copy of the
// receipt it kept, then answers READY, or EVENT code=PRINTER_ERROR when
// the printer cannot print it.
const Reprint Kind = "REPRINT"
