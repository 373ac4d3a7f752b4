#!/bin/bash
#SBATCH --job-name=mpi_hello
#SBATCH --output=mpi_output.txt
#SBATCH --ntasks=4

mpirun ./mpi_hello
