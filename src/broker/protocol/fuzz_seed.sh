#!/bin/sh
# Writes every client request frame of the librdkafka capture, without its 4-byte size
# prefix, as one file of a libFuzzer seed corpus.
#   usage: fuzz_seed.sh <kafka-protocol reference dir> <corpus dir>
#   then:  build/fuzz/bin/protocol_decode_fuzz <corpus dir> -max_total_time=30
set -eu
ref=${1:?reference dir (shared/kafka-protocol)}
out=${2:?corpus dir}
mkdir -p "$out"
awk -v out="$out" '
  function flush() { if (hex != "") { print substr(hex, 9) > (out "/" name); close(out "/" name) } hex = "" }
  /^## conn [0-9]+ C2B / { flush(); n++; name = sprintf("req-%03d.hex", n); take = 1; next }
  /^#/ { flush(); take = 0; next }
  take && NF { hex = hex $0 }
  END { flush() }
' "$ref/captures/librdkafka-2.0.2-vs-mock.txt"
for f in "$out"/*.hex; do
  xxd -r -p "$f" "${f%.hex}"
  rm "$f"
done
ls "$out" | wc -l
