"""`python -m etl ...`: the loader's command line."""
from etl.cli import main

if __name__ == "__main__":
    main()
