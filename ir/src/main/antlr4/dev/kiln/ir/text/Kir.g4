// The .kir text form of Kiln's Graph IR. Op names and attributes are generic: the grammar never
// changes when an op is added.
grammar Kir;

module_ : (func | resources)* EOF ;

func : 'func' SYMBOL '(' (arg (',' arg)*)? ')' '->' '(' (type (',' type)*)? ')' loc? body ;

arg : VALUE ':' type ;

body : '{' statement* '}' ;

statement : returnStmt | opStmt ;

returnStmt : 'return' (VALUE (',' VALUE)* ':' type (',' type)*)? loc? ;

opStmt
  : (VALUE (',' VALUE)* '=')? opName ('(' (VALUE (',' VALUE)*)? ')')? attrDict?
    ':' (type (',' type)* | '(' ')') regions? loc?
  ;

opName : ident ;

attrDict : '{' (attr (',' attr)*)? '}' ;

attr : ident '=' attrValue ;

attrValue
  : number                                  # numberAttr
  | STRING                                  # stringAttr
  | ident                                   # identAttr
  | '[' (attrValue (',' attrValue)*)? ']'   # listAttr
  | 'dense' '<' denseValue '>' ':' type     # denseAttr
  | 'resource' '<' resourceName '>'         # resourceAttr
  ;

denseValue : number | ident | '[' (denseValue (',' denseValue)*)? ']' ;

number : INT | FLOAT ;

regions : '(' region (',' region)* ')' ;

region : '{' blockHeader? statement* '}' ;

blockHeader : '^' ident '(' (arg (',' arg)*)? ')' ':' ;

loc : 'loc' '(' location ')' ;

location
  : STRING ':' INT ':' INT                  # fileLoc
  | STRING ('(' location ')')?              # nameLoc
  | 'fused' '[' location (',' location)* ']' # fusedLoc
  | 'unknown'                               # unknownLoc
  ;

resources : 'resources' '{' resource* '}' ;

resource : resourceName ':' type '=' (STRING | 'elided') ;

resourceName : ident | STRING ;

type : TENSOR_TYPE ;

ident
  : BARE_ID | 'func' | 'return' | 'dense' | 'resource' | 'resources' | 'loc' | 'fused'
  | 'unknown' | 'elided'
  ;

TENSOR_TYPE : 'tensor<' ('"' (~["\\\r\n] | '\\' .)* '"' | ~[>"\r\n])* '>' ;
FLOAT
  : '-'? DIGIT+ '.' DIGIT* EXPONENT?
  | '-'? DIGIT+ EXPONENT
  | '-'? 'inf'
  | 'nan'
  ;
INT : '-'? DIGIT+ ;
VALUE : '%' [A-Za-z0-9_.$]+ ;
SYMBOL : '@' [A-Za-z_] [A-Za-z0-9_.]* ;
BARE_ID : [A-Za-z_] [A-Za-z0-9_.]* ;
STRING : '"' (~["\\\r\n] | '\\' .)* '"' ;
LINE_COMMENT : '//' ~[\r\n]* -> skip ;
WS : [ \t\r\n]+ -> skip ;
UNEXPECTED : . ;

fragment DIGIT : [0-9] ;
fragment EXPONENT : [eE] [+-]? DIGIT+ ;
