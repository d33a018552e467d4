"""Static reference data the generator draws from: countries, currencies, categories, vocabularies.

Everything here is fixed so that a seed always yields the same database. Amounts are handled as
integer hundredths of the currency unit everywhere in the generator ("cents"), also for zero-decimal
currencies such as JPY whose amounts are then whole multiples of 100 hundredths.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Currency:
    code: str
    per_usd: float  # units of this currency for one US dollar
    decimals: int  # 2, or 0 for currencies without minor units (JPY)
    shipping_cents: int  # flat shipping fee, hundredths
    free_shipping_cents: int  # subtotal from which shipping is free, hundredths


@dataclass(frozen=True)
class Country:
    code: str
    currency: str
    weight: float  # share of users living there
    tax_bps: int  # sales tax / VAT added at checkout, basis points
    postal_format: str  # '#' digit, 'L' upper-case letter, anything else literal
    cities: tuple[str, ...]


CURRENCIES: tuple[Currency, ...] = (
    Currency("USD", 1.0, 2, 599, 5000),
    Currency("EUR", 0.92, 2, 499, 4500),
    Currency("GBP", 0.79, 2, 399, 4000),
    Currency("CAD", 1.36, 2, 799, 7000),
    Currency("JPY", 150.0, 0, 80000, 700000),
    Currency("AUD", 1.52, 2, 899, 8000),
    Currency("CHF", 0.88, 2, 690, 5000),
    Currency("MXN", 17.0, 2, 9900, 90000),
)
CURRENCY_CODES: tuple[str, ...] = tuple(c.code for c in CURRENCIES)
USD = 0  # index of USD in CURRENCIES

# Codes written by the `unknown_currency` fault: not ISO 4217 codes of any real money.
UNKNOWN_CURRENCY_CODES: tuple[str, ...] = ("XXX", "ZZZ")

COUNTRIES: tuple[Country, ...] = (
    Country("US", "USD", 0.40, 700, "#####", ("New York", "Los Angeles", "Chicago", "Houston", "Seattle")),
    Country("GB", "GBP", 0.10, 2000, "LL# #LL", ("London", "Manchester", "Bristol", "Leeds")),
    Country("DE", "EUR", 0.09, 1900, "#####", ("Berlin", "Munich", "Hamburg", "Cologne")),
    Country("FR", "EUR", 0.07, 2000, "#####", ("Paris", "Lyon", "Marseille", "Toulouse")),
    Country("NL", "EUR", 0.03, 2100, "#### LL", ("Amsterdam", "Rotterdam", "Utrecht")),
    Country("CA", "CAD", 0.08, 1300, "L#L #L#", ("Toronto", "Vancouver", "Montreal", "Calgary")),
    Country("JP", "JPY", 0.08, 1000, "###-####", ("Tokyo", "Osaka", "Yokohama", "Kyoto")),
    Country("AU", "AUD", 0.06, 1000, "####", ("Sydney", "Melbourne", "Brisbane", "Perth")),
    Country("CH", "CHF", 0.03, 810, "####", ("Zurich", "Geneva", "Basel")),
    Country("MX", "MXN", 0.06, 1600, "#####", ("Mexico City", "Guadalajara", "Monterrey")),
)
COUNTRY_CODES: tuple[str, ...] = tuple(c.code for c in COUNTRIES)
COUNTRY_CURRENCY: tuple[int, ...] = tuple(CURRENCY_CODES.index(c.currency) for c in COUNTRIES)
US = 0  # index of US in COUNTRIES


@dataclass(frozen=True)
class Leaf:
    name: str
    median_usd: float  # typical listing price
    nouns: tuple[str, ...]  # what the listings in this category are called


# Two-level category tree: (top-level name, its leaves). Products hang off leaves only.
CATEGORY_TREE: tuple[tuple[str, tuple[Leaf, ...]], ...] = (
    (
        "Electronics",
        (
            Leaf("Phones", 420.0, ("Smartphone", "Phone Case", "Charger")),
            Leaf("Laptops", 900.0, ("Laptop", "Ultrabook", "Laptop Stand")),
            Leaf("Audio", 120.0, ("Headphones", "Speaker", "Earbuds")),
            Leaf("Cameras", 550.0, ("Camera", "Lens", "Tripod")),
            Leaf("Accessories", 25.0, ("USB Cable", "Power Bank", "Mouse")),
        ),
    ),
    (
        "Home & Garden",
        (
            Leaf("Furniture", 260.0, ("Armchair", "Side Table", "Bookshelf")),
            Leaf("Kitchen", 45.0, ("Chef Knife", "Cast Iron Pan", "Kettle")),
            Leaf("Decor", 35.0, ("Vase", "Wall Clock", "Candle Set")),
            Leaf("Garden", 40.0, ("Planter", "Hose", "Pruning Shears")),
            Leaf("Lighting", 60.0, ("Desk Lamp", "Pendant Light", "String Lights")),
        ),
    ),
    (
        "Fashion",
        (
            Leaf("Women's Clothing", 55.0, ("Dress", "Blouse", "Cardigan")),
            Leaf("Men's Clothing", 50.0, ("Shirt", "Jacket", "Chinos")),
            Leaf("Shoes", 80.0, ("Sneakers", "Boots", "Loafers")),
            Leaf("Bags", 70.0, ("Backpack", "Tote Bag", "Messenger Bag")),
            Leaf("Jewelry", 90.0, ("Necklace", "Ring", "Bracelet")),
        ),
    ),
    (
        "Sports & Outdoors",
        (
            Leaf("Fitness", 45.0, ("Yoga Mat", "Kettlebell", "Resistance Bands")),
            Leaf("Cycling", 150.0, ("Bike Helmet", "Bike Light", "Saddle")),
            Leaf("Camping", 95.0, ("Tent", "Sleeping Bag", "Camp Stove")),
            Leaf("Team Sports", 35.0, ("Football", "Basketball", "Shin Guards")),
        ),
    ),
    (
        "Books & Media",
        (
            Leaf("Books", 18.0, ("Novel", "Cookbook", "Biography")),
            Leaf("Music", 22.0, ("Vinyl Record", "CD Box Set", "Songbook")),
            Leaf("Movies", 15.0, ("Blu-ray", "DVD Collection", "Film Poster")),
            Leaf("Video Games", 45.0, ("Console Game", "Controller", "Game Bundle")),
        ),
    ),
    (
        "Toys & Hobbies",
        (
            Leaf("Toys", 25.0, ("Plush Toy", "Building Set", "Puzzle")),
            Leaf("Board Games", 35.0, ("Board Game", "Card Game", "Dice Set")),
            Leaf("Crafts", 20.0, ("Yarn Pack", "Paint Set", "Sewing Kit")),
            Leaf("Models", 60.0, ("Model Kit", "Model Train", "Drone")),
        ),
    ),
    (
        "Health & Beauty",
        (
            Leaf("Skincare", 28.0, ("Face Serum", "Moisturizer", "Sunscreen")),
            Leaf("Makeup", 22.0, ("Lipstick", "Palette", "Mascara")),
            Leaf("Fragrance", 65.0, ("Perfume", "Cologne", "Diffuser")),
            Leaf("Wellness", 30.0, ("Massage Gun", "Essential Oils", "Sleep Mask")),
        ),
    ),
    (
        "Collectibles & Art",
        (
            Leaf("Art Prints", 75.0, ("Art Print", "Poster", "Canvas")),
            Leaf("Coins", 110.0, ("Silver Coin", "Coin Album", "Commemorative Coin")),
            Leaf("Trading Cards", 40.0, ("Card Pack", "Graded Card", "Card Binder")),
            Leaf("Vintage", 85.0, ("Vintage Radio", "Typewriter", "Film Camera")),
        ),
    ),
)
# Leaves that were retired (is_active = false) but still have historical products.
INACTIVE_LEAVES: frozenset[str] = frozenset({"Movies", "Coins"})

FIRST_NAMES: tuple[str, ...] = (
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Amelia",
    "Oliver",
    "Sophia",
    "Elijah",
    "Mia",
    "Lucas",
    "Hannah",
    "Mateo",
    "Yuki",
    "Hiroshi",
    "Chloe",
    "Louis",
    "Lena",
    "Felix",
    "Sofia",
    "Diego",
    "Grace",
    "Jack",
    "Isla",
    "Leo",
    "Ava",
    "Ethan",
    "Zoe",
    "Max",
    "Clara",
    "Hugo",
    "Aiko",
    "Kenji",
    "Camila",
    "Santiago",
    "Freya",
    "Arthur",
    "Nora",
    "Samuel",
    "Ella",
    "Daniel",
)
LAST_NAMES: tuple[str, ...] = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Martin",
    "Bernard",
    "Dubois",
    "Muller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Tanaka",
    "Suzuki",
    "Sato",
    "Takahashi",
    "Taylor",
    "Wilson",
    "Thomas",
    "Roberts",
    "Walker",
    "Wright",
    "Thompson",
    "White",
    "Lopez",
    "Hernandez",
    "Gonzalez",
    "Rossi",
    "Jansen",
    "de Vries",
    "Bakker",
    "Tremblay",
    "Roy",
    "Nguyen",
    "Kelly",
    "Murphy",
    "Keller",
)
EMAIL_DOMAINS: tuple[str, ...] = ("example.com", "example.org", "example.net", "mail.example")

ADJECTIVES: tuple[str, ...] = (
    "Classic",
    "Modern",
    "Vintage",
    "Compact",
    "Premium",
    "Handmade",
    "Eco",
    "Deluxe",
    "Minimalist",
    "Rustic",
    "Pro",
    "Essential",
    "Lightweight",
    "Heavy-Duty",
    "Limited Edition",
    "Refurbished",
)
COLORS: tuple[str, ...] = ("black", "white", "red", "blue", "green", "grey", "beige", "navy", "brown", "pink")
CONDITIONS: tuple[str, ...] = ("new", "new", "new", "like_new", "used_good", "refurbished")
BRANDS: tuple[str, ...] = (
    "Acme",
    "Northwind",
    "Globex",
    "Initech",
    "Umbrella",
    "Stark",
    "Wayne",
    "Tyrell",
    "Hooli",
    "Vandelay",
)
TAGS: tuple[str, ...] = (
    "new",
    "sale",
    "handmade",
    "vintage",
    "eco",
    "bestseller",
    "gift",
    "limited",
    "refurbished",
    "premium",
)

# payment_provider, share of payments, prefix of the provider's own payment id
PAYMENT_PROVIDERS: tuple[tuple[str, float, str], ...] = (
    ("stripe", 0.55, "pi_"),
    ("paypal", 0.25, "PAYID-"),
    ("adyen", 0.15, "psp_"),
    ("klarna", 0.05, "kl_"),
)
PLATFORM_FEE_BPS = 1000  # the marketplace keeps 10 % of each completed payment

REVIEW_TITLES: dict[int, tuple[str, ...]] = {
    1: ("Very disappointed", "Did not work", "Not as described"),
    2: ("Below expectations", "Meh", "Would not buy again"),
    3: ("It's okay", "Average quality", "Does the job"),
    4: ("Pretty good", "Happy with it", "Good value"),
    5: ("Excellent!", "Love it", "Exactly as described", "Highly recommend"),
}
REVIEW_BODIES: tuple[str, ...] = (
    "Arrived quickly and well packed.",
    "Quality is about what I expected for the price.",
    "The seller answered my questions fast.",
    "Colour is slightly different from the photos.",
    "Would order from this seller again.",
    "Took longer to arrive than promised.",
)

TIERS: tuple[str, ...] = ("bronze", "silver", "gold", "platinum")
