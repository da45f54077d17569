from kustomi.entry import main

main()
