"""Seed the shared `materials` table with Star Citizen's mineable materials.

Base values are plausible reference figures in aUEC per SCU, written here so a fresh bot can
value a haul at once. They are NOT live prices: the operator sets the real ones with
`redlegion prices import FILE` (a UEX export), and treasurers may set their guild's own.
The data lives in this file, not imported from app code, so the migration never changes.
"""

from datetime import datetime, timezone
from decimal import Decimal

from tortoise import migrations
from tortoise.migrations import operations as ops

# name, category, base value per SCU, other spellings
MATERIALS = [
    ("Agricium", "ore", "2700.00", ["Agri"]),
    ("Aluminum", "ore", "330.00", ["Aluminium"]),
    ("Beryl", "ore", "4350.00", []),
    ("Bexalite", "ore", "7000.00", ["Bex"]),
    ("Borase", "ore", "3500.00", []),
    ("Copper", "ore", "600.00", []),
    ("Corundum", "ore", "1350.00", ["Corrundum"]),
    ("Diamond", "ore", "7350.00", ["Diamonds"]),
    ("Gold", "ore", "6400.00", []),
    ("Hephaestanite", "ore", "3000.00", ["Heph", "Hephaestinite"]),
    ("Ice", "ore", "10.00", ["Water Ice"]),
    ("Inert Materials", "other", "2.00", ["Inert", "Inert Material"]),
    ("Iron", "ore", "350.00", []),
    ("Laranite", "ore", "3100.00", ["Laranit"]),
    ("Lindinium", "ore", "8000.00", ["Lindinum"]),
    ("Quantainium", "ore", "8800.00", ["Quantanium", "Quantaineum", "Quant"]),
    ("Quartz", "ore", "1550.00", []),
    ("Riccite", "ore", "20000.00", ["Ricite"]),
    ("Savrilium", "ore", "9000.00", []),
    ("Silicon", "ore", "400.00", []),
    ("Stileron", "ore", "14000.00", []),
    ("Taranite", "ore", "8600.00", []),
    ("Tin", "ore", "100.00", []),
    ("Titanium", "ore", "850.00", []),
    ("Torite", "ore", "1200.00", []),
    ("Tungsten", "ore", "700.00", []),
    ("Aphorite", "gem", "15000.00", []),
    ("Beradom", "gem", "30000.00", []),
    ("Carinite", "gem", "28000.00", []),
    ("Dolivine", "gem", "13000.00", []),
    ("Feynmaline", "gem", "35000.00", []),
    ("Glacosite", "gem", "26000.00", []),
    ("Hadanite", "gem", "27500.00", []),
    ("Jaclium", "gem", "10000.00", []),
    ("Janalite", "gem", "18000.00", ["Janelite"]),
    ("Saldynium", "gem", "12000.00", []),
]
SEEDED_AT = datetime(2026, 1, 1, tzinfo=timezone.utc)


async def seed(apps, schema_editor) -> None:
    Material = apps.get_model("economy", "Material")
    PricePoint = apps.get_model("economy", "PricePoint")
    db = schema_editor.client
    existing = set(await Material.all().using_db(db).values_list("name", flat=True))
    new = [
        Material(name=name, category=category, base_value_auec=Decimal(value), aliases=aliases)
        for name, category, value, aliases in MATERIALS
        if name not in existing
    ]
    if not new:
        return
    await Material.bulk_create(new, using_db=db)
    ids = dict(await Material.all().using_db(db).values_list("name", "id"))
    await PricePoint.bulk_create(
        [
            PricePoint(
                material_id=ids[m.name],
                guild_id=None,
                kind="base",
                price=m.base_value_auec,
                source="seed",
                note="reference value seeded with the bot",
                at=SEEDED_AT,
            )
            for m in new
        ],
        using_db=db,
    )


async def unseed(apps, schema_editor) -> None:
    Material = apps.get_model("economy", "Material")
    PricePoint = apps.get_model("economy", "PricePoint")
    db = schema_editor.client
    names = [row[0] for row in MATERIALS]
    ids = await Material.filter(name__in=names).using_db(db).values_list("id", flat=True)
    await PricePoint.filter(material_id__in=ids, source="seed").using_db(db).delete()
    await Material.filter(id__in=ids).using_db(db).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial"), ("economy", "0001_initial")]

    initial = False

    operations = [ops.RunPython(seed, unseed)]
