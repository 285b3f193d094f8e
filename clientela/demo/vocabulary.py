"""Spanish names, Colombian cities and the other words demo and synthetic data are built from."""

FIRST_NAMES = (
    "María", "José", "Luis", "Ana", "Carlos", "Laura", "Juan", "Valentina", "Andrés", "Camila",
    "Jorge", "Daniela", "Santiago", "Sofía", "Sebastián", "Isabella", "Alejandro", "Mariana",
    "Felipe", "Gabriela", "Diego", "Natalia", "Julián", "Paula", "Ricardo", "Carolina", "Mateo",
    "Juliana", "Óscar", "Catalina", "Héctor", "Lucía", "Iván", "Manuela", "Germán", "Ángela",
    "Nicolás", "Verónica", "Fernando", "Adriana", "Camilo", "Diana", "Esteban", "Lorena",
    "Mauricio", "Sandra", "Hernán", "Patricia", "Álvaro", "Claudia", "Jairo", "Marcela",
)  # fmt: skip
LAST_NAMES = (
    "Rodríguez", "Gómez", "González", "Martínez", "García", "López", "Hernández", "Sánchez",
    "Ramírez", "Pérez", "Díaz", "Muñoz", "Rojas", "Moreno", "Jiménez", "Vargas", "Castro",
    "Gutiérrez", "Torres", "Ortiz", "Ruiz", "Álvarez", "Suárez", "Romero", "Herrera", "Valencia",
    "Quintero", "Restrepo", "Osorio", "Cárdenas", "Mejía", "Zapata", "Ospina", "Salazar",
    "Londoño", "Arango", "Giraldo", "Cardona", "Montoya", "Aristizábal", "Peña", "Castaño",
)  # fmt: skip
# (city, weight): roughly by population so the demo looks like a Colombian customer base.
CITIES = (
    ("Bogotá", 30), ("Medellín", 16), ("Cali", 12), ("Barranquilla", 8), ("Cartagena", 6),
    ("Bucaramanga", 5), ("Pereira", 4), ("Manizales", 3), ("Santa Marta", 3), ("Ibagué", 3),
    ("Cúcuta", 3), ("Villavicencio", 2), ("Armenia", 2), ("Pasto", 2), ("Neiva", 1),
)  # fmt: skip
EMAIL_DOMAINS = (
    "example.com",
    "example.co",
    "example.net",
    "correo.example.org",
    "mail.example.com",
)
MOBILE_PREFIXES = (
    300,
    301,
    302,
    304,
    305,
    310,
    311,
    312,
    313,
    314,
    315,
    316,
    317,
    318,
    319,
    320,
    321,
    322,
    323,
    350,
    351,
)
# The demo company sells plots to people; the companies in its CRM are where its buyers work and
# the family holdings and investment firms they buy through.
COMPANY_WORDS = (
    "Inversiones", "Constructora", "Grupo", "Holding", "Consultores", "Clínica",
    "Estudio Jurídico", "Importadora", "Capital", "Patrimonio", "Ingeniería", "Comercializadora",
)  # fmt: skip
COMPANY_NAMES = (
    "Andina", "del Valle", "Caribe", "La Sabana", "El Dorado", "Santa Fe", "Los Andes", "Pacífico",
    "Montecristo", "La Esperanza", "San Ángel", "Horizonte", "Altamira", "Magdalena",
    "Guadalupe", "Tequendama", "Nevado", "Catleya", "Atlántico", "Aburrá",
)  # fmt: skip
COMPANY_SUFFIXES = ("S.A.S.", "S.A.", "Ltda.", "& Cía.", "S.A.S. BIC")
INDUSTRIES = (
    "Construcción",
    "Servicios financieros",
    "Inversión inmobiliaria",
    "Salud",
    "Servicios legales",
    "Tecnología",
    "Comercio",
    "Ingeniería",
)
JOB_TITLES = (
    "Gerente general",
    "Director comercial",
    "Contador",
    "Ingeniero civil",
    "Médico",
    "Abogada",
    "Docente",
    "Independiente",
    "Administradora",
    "Arquitecto",
    "Empresario",
)
TAGS = (
    "Webinar Florida",
    "Inversionista",
    "Feria inmobiliaria",
    "Referido",
    "VIP",
    "Lote Orlando",
    "Financiación",
    "Pago de contado",
    "Familia decide",
    "Recontactar",
)
# (source, utm_source, utm_medium, weight)
SOURCES = (
    ("facebook", "facebook", "paid_social", 30), ("instagram", "instagram", "paid_social", 12),
    ("google_ads", "google", "cpc", 15), ("website", "", "", 10), ("form", "landing", "webinar", 10),
    ("referral", "", "", 8), ("whatsapp", "whatsapp", "chat", 7), ("event", "", "", 5), ("walk_in", "", "", 3),
)  # fmt: skip
CAMPAIGNS = ("lotes-florida-2026", "webinar-inversion-usa", "retargeting-q3", "feria-bogota", "")
LIFECYCLE_WEIGHTS = (
    ("subscriber", 10), ("lead", 40), ("mql", 15), ("sql", 10), ("opportunity", 8), ("customer", 14), ("evangelist", 3),
)  # fmt: skip
LEAD_STATUSES = ("new", "attempted", "connected", "qualified", "unqualified", "nurturing", "")
