"""Word lists that tell names of people, organisations and things apart."""

from __future__ import annotations


def _words(text: str) -> frozenset[str]:
    """A frozenset from a whitespace-separated list."""
    return frozenset(text.split())


# Capitalised words that end an organisation's name, or head it ("Ministry of ...").
ORG_HEADS = _words(
    """
    Ministry Department Chamber Council Group Agency Bank Inc Ltd Plc plc Corp Corporation
    Company Co Party Dems Union University College School Center Centre Committee Commission
    Association
    Institute Institution Foundation Court Parliament Assembly Congress Senate Army Navy Force
    Forces Police Office Board Authority Federation League Club FC Airlines Airways Bros
    Technologies Systems Industries Holdings Motors Network Organisation Organization Service
    Services Fund Trust Society Alliance Coalition Movement Bureau Administration Secretariat
    Guard Exchange Reserve Times Post News Journal Telegraph Gazette Tribune Herald Press Media
    Broadcasting Records Studios Pictures Entertainment Labs Laboratories Pharmaceuticals
    Electric Railways Museum Hospital Academy Observatory Directorate Command Cabinet Nations
    Communications Solutions Partners Investments
    Petroleum Steel Channel Television Radio Magazine Ventures Software Semiconductor Aerospace
    Church Consortium Limited Breweries Brewery Resources Managers Stockbrokers Brokers Mining
    """
)
# Words that appear inside institution names and job titles but never in a person's name.
INSTITUTION_WORDS = ORG_HEADS | _words(
    """
    National Federal State Public International Foreign Affairs Interior Home Finance Justice
    Health Education Trade Security Energy Transport Economic Economy Development Research
    Analysis Strategies Strategic Studies Policy Technology Science Sciences Human Rights
    Environment Agriculture Culture Sport Sports Labour Labor Treasury Central General Supreme
    High Joint Armed Air Naval Military Intelligence Global World European Western Eastern
    Northern Southern United Royal Democratic Republican Socialist Liberal Conservative Green
    People's Peoples Popular Islamic Christian Financial Industrial Commercial Regional Local
    Commerce City Municipal Metropolitan Stock Investment Development Cooperation Relations
    Co-operation
    Information Communication Digital Space Nuclear Atomic Civil Social Welfare Defence Defense
    Energy Oil Gas Capital Republic Kingdom Emirates Dynamics Parliamentary Governmental
    """
)
# Titles and job words that come before a person's name.
ROLE_WORDS = _words(
    """
    Mr Mrs Ms Miss Dr Prof Professor Sir Dame Lord Lady President Vice Premier Prime Minister
    Ministers Secretary Chancellor Director Chairman Chairwoman Chair Chief Executive Head
    Spokesman Spokeswoman Spokesperson General Gen Colonel Col Admiral Adm Major Maj Lieutenant
    Lt Sergeant Sgt Captain Capt Commander Cmdr Marshal Senator Sen Governor Gov Mayor
    Ambassador Judge Justice King Queen Prince Princess Pope Commissioner Deputy Leader Coach
    Manager Analyst Economist Founder Rep Representative Congressman Congresswoman Officer
    Editor Correspondent Attorney Sheikh Emir Sultan Inspector Detective Superintendent
    Constable Bishop Archbishop Rev Reverend Father Speaker Chairperson Expert Envoy Minister
    Counsellor Adviser Advisor Presidential Crown Chef Boss Striker Midfielder Defender
    Goalkeeper Singer Actor Actress Director-General Secretary-General Ayatollah Imam
    """
)
# Lower-case words before a name that make it a person ("expert Ilya Kramnik").
ROLE_CUES = frozenset(w.lower() for w in ROLE_WORDS) | _words(
    """
    minister president director expert analyst spokesman spokeswoman spokesperson chairman
    chairwoman secretary leader head boss manager coach captain economist professor author
    actor actress singer star player striker midfielder defender goalkeeper champion founder
    editor correspondent ambassador general commander governor mayor senator judge lawyer
    officer researcher scientist adviser advisor executive chief chancellor premier rapper
    musician director-general secretary-general colleague deputy envoy journalist writer
    reporter presenter host campaigner activist novelist comedian designer investor
    """
)
# Lower-case particles that may sit inside a person's or an institution's name.
NAME_PARTICLES = _words("de da di del della der den van von la le du bin ibn al el dos das")
ORG_CONNECTORS = _words("of for on and the de des du la &")
# Nationality words: adjectives, never entities themselves.
DEMONYMS = _words(
    """
    American British English Scottish Welsh Irish French German Italian Spanish Portuguese Dutch
    Belgian Swiss Austrian Swedish Norwegian Danish Finnish Icelandic Polish Czech Slovak
    Hungarian Romanian Bulgarian Greek Turkish Cypriot Russian Ukrainian Belarusian Georgian
    Armenian Azerbaijani Kazakh Uzbek Iranian Iraqi Syrian Lebanese Israeli Palestinian
    Jordanian Saudi Emirati Qatari Kuwaiti Yemeni Omani Egyptian Libyan Tunisian Algerian
    Moroccan Sudanese Ethiopian Kenyan Nigerian Ghanaian South African Chinese Japanese Korean
    Taiwanese Vietnamese Thai Indonesian Malaysian Filipino Indian Pakistani Afghan Bangladeshi
    Sri Lankan Nepalese Australian Canadian Mexican Brazilian Argentine Argentinian Chilean
    Colombian Venezuelan Peruvian Cuban Serbian Croatian Bosnian Slovenian Albanian Estonian
    Latvian Lithuanian Kurdish Arab Arabic Persian Asian European African Western Eastern
    Northern Southern Soviet Latin Nordic Baltic Balkan Caucasian Scandinavian Turkic Slavic
    Kosovan Kosovar Mongolian Tibetan Uyghur Hindu Muslim Christian Jewish Catholic Sunni Shia
    Briton Brit Brits Turks Scots Eurosceptic Euroscepticism Europhile Mandarin Cantonese West
    East North South
    """
)
# Nationality nouns that stand before a name like a title ("Dutchman Arnoud Okken").
DEMONYM_NOUNS = _words("Dutchman Frenchman Englishman Scotsman Welshman Irishman Briton")
# Upper-case abbreviations that are common nouns rather than named things.
PLAIN_ACRONYMS = _words(
    """
    CEO CFO COO CTO TV PC PCs GDP AI IT OK DVD CD CDs MP MPs MEP MEPs PM AM FM UK US USA EU
    UN HIV AIDS DNA ID IQ PR VAT UFO SMS MMS PhD BA MA MBA VIP ATM GPS SUV CCTV ICT HQ RAF
    II III IV VI VII VIII IX XI XII NB PS AD BC BCE CE USB URL PDF FAQ IPO LLC
    AGM AFP RSS HTML CPU GPU RAM MP3 LCD LED TNT UAV HD HDTV DSL ADSL ISP GSM SIM PIN DIY
    OBE MBE CBE QC ASAP RIP FYI LOL GMT BST CET EST PST R&B LA
    """
) - _words("EU UN UK US USA AFP")
# Well-known institutions named by one word, usually after "the".
INSTITUTIONS = _words(
    """
    Kremlin Pentagon Vatican Bundestag Duma Knesset Politburo Interpol Europol Labour Tories
    Conservatives Democrats Republicans Whitehall Parliament Congress Senate Commons
    """
)
# Heads of a named event, filed under "other" ("World Cup", "Cannes Film Festival").
EVENT_HEADS = _words(
    """
    Cup Championship Championships Olympics Paralympics Festival Awards Prize Trophy Games
    Marathon Expo Summit Open Classic Masters Grand Prix Tour Series Oscars Baftas
    """
)
# Days and months: capitalised, but never part of a name.
CALENDAR = _words(
    """
    Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May
    June July August September October November December Christmas Easter
    """
)
# Heads of a law, treaty or programme name ("AI Act", "Paris Agreement").
LAW_HEADS = _words(
    """
    Act Bill Treaty Directive Regulation Convention Accord Accords Agreement Protocol Amendment
    Charter Pact
    """
)
# Lower-case words just before a one-word name that mark it as a publication or agency.
MEDIA_CUES = _words(
    "newspaper daily weekly magazine agency broadcaster channel outlet website tabloid"
)
# Last words of a place's name ("Leicester Square", "Indian Ocean", "Fratton Park").
PLACE_HEADS = _words(
    """
    Square Street Road Avenue Lane Park Bay Ocean Sea Island Islands Valley Canyon Station
    Stadium Arena Bridge Hill Hills Mountains Mountain Lake River Coast Peninsula Desert Gulf
    Strait Airport Harbour Harbor Heights Field Gardens Palace Castle Abbey Cathedral Tower
    Forest Beach Point Cape Moor Green Common Estate Village Town County Province Region
    """
)
# Lower-case words that make the capitalised words before them an event ("Iraq war").
EVENT_TAILS = _words("war tsunami inquiry disaster attacks elections diet crude scandal")
