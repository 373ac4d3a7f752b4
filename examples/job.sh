#!/bin/bash
#SBATCH --job-name=mytestjob
#SBATCH --output=output.txt
#SBATCH --ntasks=1
#SBATCH --time=00:05:00

echo "Hello from $(hostname)"
