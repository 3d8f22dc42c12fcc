import sys

from factdesk.service.cli import main

sys.exit(main())
