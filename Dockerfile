# A container image of Sluice (docs/operations.md): Debian 12, built from this checkout.
#   docker build -t sluice .
#   docker run -p 9324:9324 -v sluice-data:/var/lib/sluice sluice
# Build stage: the same packages `make` installs on a Debian machine.
FROM debian:12-slim AS build
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      cmake ninja-build g++ pkg-config libboost1.74-dev librocksdb-dev rapidjson-dev libfmt-dev \
      libspdlog-dev libcli11-dev libtomlplusplus-dev libssl-dev libpcre2-dev libpq-dev \
      libjemalloc-dev libsodium-dev libgtest-dev libgmock-dev libbenchmark-dev dpkg-dev file \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSLUICE_BENCHMARKS=OFF \
 && cmake --build build --target sluice \
 && tools/package-deb.sh build/sluice /out

# Run stage: the package's own files and dependencies, as the sluice user.
FROM debian:12-slim
COPY --from=build /out/*.deb /tmp/
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      /tmp/*.deb && rm -rf /var/lib/apt/lists/* /tmp/*.deb \
 && install -d -o sluice -g sluice -m 0750 /var/lib/sluice
USER sluice
VOLUME /var/lib/sluice
EXPOSE 9324 9325
# In a container the API must listen on every interface; the admin port stays inside.
ENTRYPOINT ["/usr/bin/sluice", "serve", "--config", "/etc/sluice/sluice.toml"]
CMD ["--listen", "0.0.0.0:9324"]
