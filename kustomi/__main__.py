from kustomi.cli import main

main()
