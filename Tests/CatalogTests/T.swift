import Testing
import Catalog
