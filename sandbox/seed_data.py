"""Fictional reference data of the seed: structures, suppliers, catalogues, reasons.

Every name here is invented; identifiers are generated (valid Luhn keys, not real companies).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from chorusweb.demo import DEMO_CLIENT_UID, DEMO_FACTPULSE_EMAIL, DEMO_FACTPULSE_PASSWORD

# --- accounts ---------------------------------------------------------------------------------

DEMO_EMAIL = DEMO_FACTPULSE_EMAIL
DEMO_PASSWORD = DEMO_FACTPULSE_PASSWORD
DEMO_UID = DEMO_CLIENT_UID
DEMO_CHORUS_NAME = "Démo — collectivités de la Haute-Vallée"

OTHER_EMAIL = "autre@chorusweb.test"
OTHER_PASSWORD = "autre-factpulse"  # noqa: S105 (fictional sandbox account)
OTHER_UID = uuid.UUID("0b7e9c1a-2f3d-4e5b-9a6c-7d8e9f0a1b2c")
OTHER_CHORUS_NAME = "Autre compte — Syndicat des eaux de la Sèvre"

# --- structures --------------------------------------------------------------------------------
# (id, category, name, street, postal code, city, service code required, engagement required,
#  services [(code, label)])

DEMO_PUBLIC = [
    (
        25100001,
        "commune",
        "Commune de Saint-Aubin-sur-Loire",
        "1 place de la Mairie",
        "37190",
        "Saint-Aubin-sur-Loire",
        False,
        False,
        [
            ("ST-VOIRIE", "Services techniques — voirie"),
            ("SCOLAIRE", "Affaires scolaires"),
            ("CULTURE", "Culture et patrimoine"),
            ("FINANCES", "Direction des finances"),
        ],
    ),
    (
        25100002,
        "hôpital",
        "Centre hospitalier de Villefranche-en-Vallée",
        "12 avenue Pasteur",
        "37400",
        "Villefranche-en-Vallée",
        True,
        False,
        [
            ("PHARMACIE", "Pharmacie à usage intérieur"),
            ("ECONOMIQUES", "Services économiques"),
            ("RESTAURATION", "Restauration hospitalière"),
            ("BIOMEDICAL", "Ingénierie biomédicale"),
        ],
    ),
    (
        25100003,
        "département",
        "Département de la Haute-Vallée",
        "Hôtel du Département, 2 rue de la Préfecture",
        "37000",
        "Tours",
        False,
        True,
        [
            ("ROUTES", "Direction des routes"),
            ("COLLEGES", "Direction des collèges"),
            ("SOCIAL", "Action sociale"),
            ("DSI", "Systèmes d'information"),
        ],
    ),
    (
        25100004,
        "intercommunalité",
        "Communauté d'agglomération Loire-Océan",
        "5 boulevard de l'Estuaire",
        "44600",
        "Saint-Nazaire",
        False,
        False,
        [
            ("DECHETS", "Gestion des déchets"),
            ("EAU", "Eau et assainissement"),
            ("MOBILITE", "Mobilités et transports"),
        ],
    ),
    (
        25100005,
        "établissement scolaire",
        "Lycée polytechnique Marie-Curie",
        "40 rue des Écoles",
        "49000",
        "Angers",
        False,
        False,
        [("INTENDANCE", "Intendance"), ("ATELIERS", "Ateliers techniques")],
    ),
]

OTHER_PUBLIC = [
    (
        25100011,
        "syndicat",
        "Syndicat intercommunal des eaux de la Sèvre",
        "3 quai de la Sèvre",
        "79000",
        "Niort",
        False,
        False,
        [("EXPLOITATION", "Exploitation des réseaux"), ("ADMINISTRATION", "Administration générale")],
    ),
    (
        25100012,
        "commune",
        "Commune de Port-Marin",
        "Place du Port",
        "17000",
        "La Rochelle",
        False,
        False,
        [("ST", "Services techniques"), ("ENFANCE", "Enfance et jeunesse")],
    ),
]

#: Private structures of the demo account: prime contractors who validate subcontractor and
#: co-contractor invoices, and who also issue invoices (the supplier side of the demo).
DEMO_PRIVATE = [
    (26100001, "Bâtir Ensemble Construction SAS", "18 rue Nationale", "37000", "Tours", "travaux"),
    (26100002, "Groupement Ingénierie Loire SARL", "7 quai de la Fosse", "44000", "Nantes", "conseil"),
]

#: 40 suppliers: (name, activity, street, postal code, city).
SUPPLIERS = [
    ("Bâtiments Ligériens SAS", "travaux", "4 rue des Tanneurs", "37000", "Tours"),
    ("Électricité Moreau SARL", "travaux", "22 rue Lionnaise", "49000", "Angers"),
    ("Plomberie Chauffage Lefèvre EURL", "travaux", "9 rue de Strasbourg", "44000", "Nantes"),
    ("Informatique Services de l'Ouest SAS", "informatique", "15 boulevard de la Liberté", "35000", "Rennes"),
    ("Numérique et Territoires SA", "informatique", "102 cours Lafayette", "69003", "Lyon"),
    ("Propreté Azur SARL", "nettoyage", "31 avenue Jean Médecin", "06000", "Nice"),
    ("Net'Services Bretagne SAS", "nettoyage", "6 rue de Siam", "29200", "Brest"),
    ("Restauration Collective du Centre SAS", "restauration", "27 rue Bannier", "45000", "Orléans"),
    ("Saveurs et Cantines SARL", "restauration", "11 rue de la Liberté", "21000", "Dijon"),
    ("Papeterie Rousseau SA", "fournitures", "8 rue Carnot", "86000", "Poitiers"),
    ("Bureau Plus Distribution SAS", "fournitures", "54 rue Nationale", "59000", "Lille"),
    ("Pharmadis Hospitalier SAS", "medical", "3 rue de la Loge", "34000", "Montpellier"),
    ("Médical Équipement France SA", "medical", "70 allées Jean Jaurès", "31000", "Toulouse"),
    ("Jardins et Paysages Girard SARL", "espaces_verts", "2 rue Denis Papin", "41000", "Blois"),
    ("Vert Horizon Paysagistes SAS", "espaces_verts", "19 avenue du Général Leclerc", "72000", "Le Mans"),
    ("Transports Bernard et Fils SAS", "transport", "5 rue du Faubourg Guillaume", "28000", "Chartres"),
    ("Autocars du Val de Loire SA", "transport", "1 route de Montsoreau", "49400", "Saumur"),
    ("Énergies Renouvelables Dumas SAS", "energie", "44 cours Berriat", "38000", "Grenoble"),
    ("Conseil Public Partenaires SARL", "conseil", "120 rue Oberkampf", "75011", "Paris"),
    ("Cabinet Fontaine Ingénierie SAS", "conseil", "33 cours de l'Intendance", "33000", "Bordeaux"),
    ("Librairie Mercier SARL", "livres", "10 place de Jaude", "63000", "Clermont-Ferrand"),
    ("Éditions Scolaires Laurent SA", "livres", "25 rue Monge", "75005", "Paris"),
    ("Menuiserie Chevalier EURL", "travaux", "13 rue Jean Jaurès", "87000", "Limoges"),
    ("Peintures Garnier SARL", "travaux", "17 rue Saint-Pierre", "14000", "Caen"),
    ("Toitures Faure SAS", "travaux", "60 rue Jeanne d'Arc", "76000", "Rouen"),
    ("Signalisation Routière Blanc SAS", "travaux", "8 rue Serpenoise", "57000", "Metz"),
    (
        "Réseaux et Câblages Roux SAS",
        "informatique",
        "21 rue du Vieux-Marché-aux-Poissons",
        "67000",
        "Strasbourg",
    ),
    ("Téléphonie Publique Vincent SA", "informatique", "90 La Canebière", "13001", "Marseille"),
    ("Hygiène Services Muller SARL", "nettoyage", "14 rue du Sauvage", "68100", "Mulhouse"),
    ("Boulangerie Lambert SARL", "restauration", "3 rue des Trois Cailloux", "80000", "Amiens"),
    ("Fruits et Légumes Bonnet SAS", "restauration", "28 rue de la République", "84000", "Avignon"),
    ("Mobilier Collectivités Fournier SA", "fournitures", "16 Grande Rue", "25000", "Besançon"),
    ("Imprimerie Gauthier SAS", "fournitures", "7 rue de Vesle", "51100", "Reims"),
    ("Biomédical Services Perrin SAS", "medical", "46 rue Saint-Dizier", "54000", "Nancy"),
    ("Ambulances Robin SARL", "transport", "12 rue Henri IV", "64000", "Pau"),
    ("Carburants Clément SAS", "energie", "2 quai Duperré", "17000", "La Rochelle"),
    ("Formation Agents Publics Morel SAS", "conseil", "5 boulevard Victor Hugo", "30000", "Nîmes"),
    ("Sécurité Incendie André SARL", "travaux", "23 quai Vauban", "66000", "Perpignan"),
    ("Ascenseurs Mathieu SAS", "travaux", "41 boulevard de Strasbourg", "83000", "Toulon"),
    ("Traiteur Dupuis SARL", "restauration", "9 rue Royale", "74000", "Annecy"),
]

# --- catalogues per activity: (label, unit, min price, max price, VAT rate, max quantity) --------

D = Decimal
CATALOGUE: dict[str, list[tuple[str, str, Decimal, Decimal, Decimal, int]]] = {
    "travaux": [
        ("Main d'œuvre compagnon", "HUR", D("38"), D("55"), D("20"), 80),
        ("Travaux de maçonnerie", "C62", D("450"), D("4800"), D("20"), 3),
        ("Fourniture de matériaux", "C62", D("25"), D("900"), D("20"), 20),
        ("Rénovation énergétique de locaux", "C62", D("900"), D("9000"), D("5.5"), 2),
        ("Travaux d'entretien de bâtiment", "C62", D("300"), D("3000"), D("10"), 4),
        ("Location de nacelle", "DAY", D("180"), D("320"), D("20"), 10),
    ],
    "informatique": [
        ("Ordinateur portable professionnel", "C62", D("650"), D("1400"), D("20"), 25),
        ("Licence logicielle annuelle", "C62", D("40"), D("900"), D("20"), 50),
        ("Journée d'assistance technique", "DAY", D("450"), D("850"), D("20"), 15),
        ("Écran 27 pouces", "C62", D("160"), D("390"), D("20"), 30),
        ("Abonnement télécom mensuel", "C62", D("20"), D("60"), D("20"), 120),
    ],
    "nettoyage": [
        ("Nettoyage des locaux (forfait mensuel)", "C62", D("800"), D("6500"), D("20"), 1),
        ("Nettoyage de vitrerie", "MTK", D("2"), D("6"), D("20"), 900),
        ("Produits d'entretien", "C62", D("3"), D("45"), D("20"), 60),
    ],
    "restauration": [
        ("Repas servis", "C62", D("3.20"), D("7.80"), D("10"), 3000),
        ("Denrées alimentaires", "KGM", D("1.50"), D("18"), D("5.5"), 900),
        ("Prestation de traiteur", "C62", D("300"), D("2500"), D("10"), 2),
    ],
    "fournitures": [
        ("Ramettes de papier A4", "C62", D("3.90"), D("5.60"), D("20"), 400),
        ("Fournitures de bureau (lot)", "C62", D("25"), D("240"), D("20"), 20),
        ("Mobilier de bureau", "C62", D("120"), D("890"), D("20"), 15),
        ("Impression de documents", "C62", D("0.05"), D("0.40"), D("20"), 20000),
    ],
    "medical": [
        ("Gants d'examen (boîte de 100)", "C62", D("4"), D("9"), D("20"), 500),
        ("Médicaments remboursables", "C62", D("2"), D("180"), D("2.1"), 300),
        ("Dispositifs médicaux", "C62", D("15"), D("600"), D("5.5"), 60),
        ("Maintenance d'équipement biomédical", "C62", D("400"), D("5200"), D("20"), 3),
    ],
    "espaces_verts": [
        ("Tonte et entretien des espaces verts", "HUR", D("35"), D("48"), D("20"), 120),
        ("Élagage d'arbres", "C62", D("150"), D("900"), D("20"), 15),
        ("Fourniture de plants", "C62", D("2"), D("35"), D("10"), 400),
    ],
    "transport": [
        ("Transport scolaire (circuit journalier)", "C62", D("180"), D("420"), D("10"), 40),
        ("Location d'autocar avec chauffeur", "DAY", D("450"), D("900"), D("10"), 6),
        ("Transport sanitaire", "C62", D("60"), D("240"), D("10"), 40),
    ],
    "energie": [
        ("Fourniture d'électricité", "KWH", D("0.12"), D("0.28"), D("20"), 90000),
        ("Abonnement et acheminement", "C62", D("30"), D("600"), D("5.5"), 12),
        ("Fourniture de carburant", "LTR", D("1.55"), D("1.95"), D("20"), 6000),
    ],
    "conseil": [
        ("Journée de conseil", "DAY", D("650"), D("1400"), D("20"), 20),
        ("Mission d'assistance à maîtrise d'ouvrage", "C62", D("2500"), D("18000"), D("20"), 1),
        ("Session de formation", "DAY", D("900"), D("1900"), D("20"), 6),
    ],
    "livres": [
        ("Manuels scolaires", "C62", D("12"), D("38"), D("5.5"), 300),
        ("Ouvrages pour la médiathèque", "C62", D("8"), D("60"), D("5.5"), 120),
        ("Abonnement à des revues", "C62", D("40"), D("400"), D("2.1"), 10),
    ],
}

REASONS = {
    "SUSPENDUE": [
        "Bon de commande manquant",
        "Attestation de service fait à fournir",
        "Pièce justificative illisible",
        "Devis signé à joindre",
    ],
    "REJETEE": [
        "Facture en doublon",
        "Montant non conforme au devis",
        "Prestation non commandée",
        "Taux de TVA erroné",
    ],
    "A_RECYCLER": [
        "Code service erroné",
        "Numéro d'engagement inconnu",
        "SIRET du destinataire incorrect",
    ],
    "REFUSEE_1": ["Travaux non réalisés à la date de la facture", "Montant supérieur à l'acte spécial"],
    "PRISE_EN_COMPTE_DESTINATAIRE": ["Avoir lié à une facture rejetée"],
}

ATTACHMENT_KINDS = [
    ("Bon de commande", "bon_de_commande.pdf"),
    ("Procès-verbal de réception", "pv_reception.pdf"),
    ("Devis signé", "devis_signe.pdf"),
    ("Attestation de service fait", "attestation_service_fait.pdf"),
    ("Relevé d'heures", "releve_heures.pdf"),
]
