#!/bin/sh
# job.sh — a Slurm batch job whose steps share one cache by name, kept in
# S3 between jobs: sbatch examples/slurm/job.sh (tests/t94-s3-pipeline.sh
# runs it with srun as a plain launcher).
#SBATCH --job-name=simulate
#SBATCH --ntasks=1
set -eu
: "${MONOCACHE_S3:?set MONOCACHE_S3=s3://bucket/prefix}"
srun monocache run --name "simulate-${CASE:-default}" -- \
    sh -c 'if test -e "$MONOCACHE_PATH/mesh"; then echo "mesh from the cache"
           else echo meshed | tee "$MONOCACHE_PATH/mesh"; fi'
